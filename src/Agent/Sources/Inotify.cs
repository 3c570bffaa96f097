using System.Runtime.InteropServices;
using System.Text;

namespace Agent.Sources;

/// <summary>The inotify(7) calls the tree watcher makes, and the event masks it reads.</summary>
internal static class Inotify
{
    public const uint Modify = 0x2, Attrib = 0x4, CloseWrite = 0x8, MovedFrom = 0x40, MovedTo = 0x80, Create = 0x100, Delete = 0x200,
        DeleteSelf = 0x400, MoveSelf = 0x800, QueueOverflow = 0x4000, Ignored = 0x8000, OnlyDir = 0x01000000, DontFollow = 0x02000000,
        IsDir = 0x40000000;

    /// <summary>What changes a folder's manifests: entries made, removed, renamed in or out, written or re-permissioned.</summary>
    public const uint FolderMask = Modify | Attrib | CloseWrite | MovedFrom | MovedTo | Create | Delete | DeleteSelf | MoveSelf | OnlyDir | DontFollow;

    private const int NonBlock = 0x800, CloseOnExec = 0x80000;
    public const short PollIn = 1;
    public const int TryAgain = 11, Interrupted = 4;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static extern int Init1(int flags);

    [DllImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static extern int AddWatchBytes(int fd, byte[] path, uint mask);

    [DllImport("libc", EntryPoint = "inotify_rm_watch", SetLastError = true)]
    public static extern int RemoveWatch(int fd, int wd);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll(ref PollFd fd, nuint count, int timeoutMs);

    /// <summary>A non-blocking inotify descriptor, closed on exec.</summary>
    public static int Open()
    {
        var fd = Init1(NonBlock | CloseOnExec);
        if (fd < 0) throw new IOException($"inotify_init1: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return fd;
    }

    /// <summary>The watch descriptor, or -errno.</summary>
    public static int AddWatch(int fd, string path, uint mask)
    {
        var wd = AddWatchBytes(fd, Encoding.UTF8.GetBytes(path + "\0"), mask);
        return wd >= 0 ? wd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>One event of a read buffer: struct inotify_event { int wd; uint32 mask, cookie, len; char name[len]; }.</summary>
    public static IEnumerable<(int Wd, uint Mask, string Name)> Events(byte[] buffer, int length)
    {
        var offset = 0;
        while (offset + 16 <= length)
        {
            var wd = BitConverter.ToInt32(buffer, offset);
            var mask = BitConverter.ToUInt32(buffer, offset + 4);
            var nameLength = (int)BitConverter.ToUInt32(buffer, offset + 12);
            var name = nameLength == 0 ? "" : Encoding.UTF8.GetString(buffer, offset + 16, nameLength).TrimEnd('\0');
            yield return (wd, mask, name);
            offset += 16 + nameLength;
        }
    }
}
