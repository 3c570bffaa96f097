using System.Runtime.InteropServices;
using System.Text;

namespace Agent.State;

/// <summary>The few POSIX calls .NET has no API for: flock on a descriptor we own, and fsync of a directory.</summary>
internal static class LibC
{
    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int ORdWr = 2;
    public const int OTrunc = 0x200;
    public const int OCreat = 0x40;
    public const int OCloExec = 0x80000;
    public const int LockEx = 2;
    public const int LockNb = 4;
    public const int EWouldBlock = 11;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenBytes(byte[] path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameBytes(byte[] from, byte[] to);

    /// <summary>rename(2): replaces <paramref name="to"/> atomically, also a symlink to a folder (File.Move cannot).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameBytes(Encoding.UTF8.GetBytes(from + "\0"), Encoding.UTF8.GetBytes(to + "\0")) != 0)
            throw new IOException($"cannot rename {from} to {to}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    [DllImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static extern int MkdirBytes(byte[] path, int mode);

    public const int EExist = 17;

    /// <summary>mkdir(2): makes one folder, never its parents (0, or the errno: EEXIST when it is there, ENOENT when its
    /// parent is missing).</summary>
    public static int MakeDirectory(string path, int mode) =>
        MkdirBytes(Encoding.UTF8.GetBytes(path + "\0"), mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Open(string path, int flags, int mode = 0) => OpenBytes(Encoding.UTF8.GetBytes(path + "\0"), flags, mode);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    /// <summary>Device and inode of an open descriptor, or of a path (a symlink itself, not followed); null when not known.</summary>
    public static (uint Major, uint Minor, ulong Inode)? FileIdentity(int fd) => Identity(fd, [0], 0x1000 /* AT_EMPTY_PATH */);

    public static (uint Major, uint Minor, ulong Inode)? FileIdentity(string path) =>
        Identity(-100 /* AT_FDCWD */, Encoding.UTF8.GetBytes(path + "\0"), 0x100 /* AT_SYMLINK_NOFOLLOW */);

    /// <summary>Device and inode of the file a path names, through symbolic links; null when it does not exist (or not known).</summary>
    public static (uint Major, uint Minor, ulong Inode)? TargetIdentity(string path) =>
        Identity(-100 /* AT_FDCWD */, Encoding.UTF8.GetBytes(path + "\0"), 0);

    /// <summary>Device and inode of the folder a path names, through a symlink to it; null when it does not exist (or not known).</summary>
    public static (uint Major, uint Minor, ulong Inode)? FolderIdentity(string path) => FileIdentity(Path.TrimEndingDirectorySeparator(path) + "/.");

    private static (uint, uint, ulong)? Identity(int dirfd, byte[] path, int flags)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        if (Statx(dirfd, path, flags, 0x100 /* STATX_INO */, buffer) != 0) return null;
        return (BitConverter.ToUInt32(buffer, 136), BitConverter.ToUInt32(buffer, 140), BitConverter.ToUInt64(buffer, 32));
    }

    /// <summary>Makes a rename or a new file in <paramref name="directory"/> durable (the entry, not only the data).</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(directory, ORdOnly | OCloExec);
        if (fd < 0) throw new IOException($"cannot open {directory} to sync it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
        try
        {
            if (Fsync(fd) < 0) throw new IOException($"cannot sync {directory}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
        }
        finally
        {
            Close(fd);
        }
    }
}
