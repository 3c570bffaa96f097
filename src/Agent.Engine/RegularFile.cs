using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Agent.Engine;

/// <summary>Files the agent reads that someone else may have made (secret files, manifests, bound folders, build
/// contexts): opened only when they are regular files, never blocking on a FIFO or a device.</summary>
public static class RegularFile
{
    /// <summary>Opens <paramref name="path"/> for reading with O_NONBLOCK and refuses anything but a regular file
    /// (<see cref="SecretFileException"/>): open(2) of a FIFO with no writer blocks forever (probe-13d D5, probe-15e E3: a
    /// container that can write into a folder the agent reads could stop the agent's reader with one mkfifo).</summary>
    public static FileStream OpenRead(string path)
    {
        if (!OperatingSystem.IsLinux()) return File.OpenRead(path);
        var fd = OpenFile(Encoding.UTF8.GetBytes(path + "\0"), ORdOnly | ONonBlock | ONoCtty | OCloExec, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                ENoEnt or ENotDir => new FileNotFoundException($"{path} does not exist"),
                EAcces or EPerm => new UnauthorizedAccessException($"{path}: permission denied"),
                ENxio => new SecretFileException("is a socket, not a regular file"),
                _ => new SecretFileException($"cannot be read ({Marshal.GetPInvokeErrorMessage(errno)})"),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var status = new byte[256];
            if (Statx(fd, [0], AtEmptyPath, StatxType, status) != 0)
                throw new SecretFileException($"cannot be read ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
            var type = BitConverter.ToUInt16(status, 28) & 0xF000;
            if (type != SIfReg)
                throw new SecretFileException($"is {TypeName(type)}, not a regular file");
            return new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string TypeName(int type) => type switch
    {
        0x1000 => "a FIFO (named pipe)",
        0x2000 => "a character device",
        0x4000 => "a directory",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "not a file",
    };

    private const int ORdOnly = 0;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int SIfReg = 0x8000;
    private const int EPerm = 1, ENoEnt = 2, ENxio = 6, EAcces = 13, ENotDir = 20;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(byte[] path, int flags, int mode);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);
}
