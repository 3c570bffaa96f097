using System.Runtime.InteropServices;
using System.Text;

namespace Agent.Admission;

/// <summary>Which file a path names, as (device, inode), found by openat2(2) without following any symlink, or within a
/// root as a container sees it (the kernel's own resolution, so nothing can be swapped between two steps).</summary>
internal static class PathIdentity
{
    public readonly record struct Identity(uint Major, uint Minor, ulong Inode);

    /// <summary>Why a path could not be opened: a symlink on it, it is missing, the root's process is gone, or this kernel
    /// or process cannot tell.</summary>
    public enum Failure { None, Symlink, Missing, Gone, Unsupported }

    private const long SysOpenat2 = 437; // the same number on every architecture (the unified syscall table)
    private const int AtFdCwd = -100;
    private const ulong OPath = 0x200000;
    private const ulong OCloExec = 0x80000;
    private const ulong ResolveNoSymlinks = 0x04;
    private const ulong ResolveInRoot = 0x10;
    private const int AtEmptyPath = 0x1000;
    private const int ELoop = 40;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Openat2(long number, int dirfd, byte[] path, ref OpenHow how, nuint size);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    /// <summary>The file at <paramref name="path"/> (absolute) when no component of it is a symlink.</summary>
    public static (Identity? Found, Failure Why) WithoutLinks(string path) => Open(AtFdCwd, path, ResolveNoSymlinks);

    /// <summary>The file at <paramref name="path"/> inside the root <paramref name="root"/> (e.g. /proc/PID/root), links
    /// resolved as if it were / (as the engine resolves a mount target in a container).</summary>
    public static (Identity? Found, Failure Why) InRoot(string root, string path)
    {
        var (rootFd, why) = OpenFd(AtFdCwd, root, 0);
        if (rootFd < 0) return (null, why == Failure.Missing ? Failure.Gone : why);
        try
        {
            return Open(rootFd, path.TrimStart('/') is { Length: > 0 } relative ? relative : ".", ResolveInRoot);
        }
        finally
        {
            Close(rootFd);
        }
    }

    private static (Identity?, Failure) Open(int dirfd, string path, ulong resolve)
    {
        var (fd, why) = OpenFd(dirfd, path, resolve);
        if (fd < 0) return (null, why);
        try
        {
            var buffer = new byte[256];
            if (Statx(fd, [0], AtEmptyPath, 0x100 /* STATX_INO */, buffer) != 0) return (null, Failure.Unsupported);
            return (new Identity(BitConverter.ToUInt32(buffer, 136), BitConverter.ToUInt32(buffer, 140), BitConverter.ToUInt64(buffer, 32)), Failure.None);
        }
        finally
        {
            Close(fd);
        }
    }

    private static (int Fd, Failure Why) OpenFd(int dirfd, string path, ulong resolve)
    {
        if (!OperatingSystem.IsLinux()) return (-1, Failure.Unsupported);
        var how = new OpenHow { Flags = OPath | OCloExec, Resolve = resolve };
        var fd = Openat2(SysOpenat2, dirfd, Encoding.UTF8.GetBytes(path + "\0"), ref how, (nuint)Marshal.SizeOf<OpenHow>());
        if (fd >= 0) return ((int)fd, Failure.None);
        return (-1, Marshal.GetLastPInvokeError() switch
        {
            ELoop => Failure.Symlink,
            ENoEnt or ENotDir => Failure.Missing,
            _ => Failure.Unsupported,
        });
    }
}
