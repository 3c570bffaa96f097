using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Agent.State;

/// <summary>Another agent holds the state dir.</summary>
public sealed class StateDirLockedException(string message) : IOException(message);

/// <summary>
/// One agent per state dir (and per instance id): an exclusive flock on <c>agent.lock</c>, held for the agent's lifetime (the kernel drops it
/// when the process dies, even by kill -9). The file holds the holder's pid, for the message the next one prints.
/// </summary>
public sealed class StateDirLock : IDisposable
{
    public const string FileName = "agent.lock";

    private readonly Lock sync = new();
    private SafeFileHandle handle;

    private StateDirLock(SafeFileHandle handle, string path)
    {
        this.handle = handle;
        Path = path;
        Folder = LibC.FolderIdentity(System.IO.Path.GetDirectoryName(path)!);
    }

    public string Path { get; }

    /// <summary>Device and inode of the folder that holds the lock, as it was when taken (null where not known): the
    /// state dir the agent started with.</summary>
    public (uint Major, uint Minor, ulong Inode)? Folder { get; }

    /// <summary>Why the lock no longer guards its path (the file or its folder was deleted or replaced while the agent
    /// ran: a second agent could take the state dir), or null. Linux; elsewhere, null.</summary>
    public string? Lost()
    {
        lock (sync)
        {
            if (LibC.FileIdentity((int)handle.DangerousGetHandle()) is not { } held) return null; // not known here
            return LibC.FileIdentity(Path) switch
            {
                null => $"{Path} no longer exists",
                var now when now != held => $"{Path} is another file now",
                _ => null,
            };
        }
    }

    /// <summary>Makes the lock file again and locks it, in place of the one that was lost: null, or why it could not be
    /// (another agent holds it now; the state dir is missing or another folder). The state dir itself is never made
    /// again, the rule of <see cref="StateFile.CreateDirectory"/>: a state dir moved away after the lock was found lost
    /// would otherwise be made again, empty, and moving it back would nest it (probe-16 F8).</summary>
    public string? Relock()
    {
        if (!OperatingSystem.IsLinux()) return "not supported on this platform";
        try
        {
            if (NotTheStateDir() is { } gone) return gone;
            var taken = AcquireFile(Path, holder => $"another agent (pid {holder}) holds {Path} now");
            if (NotTheStateDir() is { } moved)
            {
                taken.Dispose(); // taken in a folder moved in meanwhile: not this agent's state dir
                return moved;
            }
            lock (sync)
            {
                (handle, taken.handle) = (taken.handle, handle);
            }
            taken.Dispose(); // the lost one
            return null;
        }
        catch (IOException e)
        {
            return e.Message;
        }
        catch (UnauthorizedAccessException e)
        {
            return e.Message;
        }
    }

    /// <summary>Why the lock's folder is not the state dir the agent started with (missing or another folder), or null.</summary>
    private string? NotTheStateDir()
    {
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        return LibC.FolderIdentity(dir) switch
        {
            null when !Directory.Exists(dir) => $"the state dir {dir} is missing: it is not made again while the agent runs",
            { } now when Folder is { } atStart && now != atStart => $"the state dir {dir} is another folder than the one the agent started with",
            _ => null,
        };
    }

    public static StateDirLock Acquire(string stateDir)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(stateDir);
        else Directory.CreateDirectory(stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // a new one is the agent's alone
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(stateDir), FileName);
        var held = AcquireFile(path, holder =>
            $"another agent (pid {holder}) is running with the state dir {System.IO.Path.GetDirectoryName(path)} (it holds {path}); " +
            "stop it first, or give this agent its own --state-dir and --instance");
        held.LeftoversRemoved = LeftoverTemps.Remove(System.IO.Path.GetDirectoryName(path)!);
        return held;
    }

    /// <summary>Temp files of writes a crash interrupted, removed once the lock was taken (for the start-up log).</summary>
    public IReadOnlyList<string> LeftoversRemoved { get; private set; } = [];

    /// <summary>
    /// The same lock for an instance id on this host, whatever the state dir: two agents with one id (and label prefix)
    /// would fight over the same containers. Kept in the temp folder, which every agent of a host shares.
    /// </summary>
    public static StateDirLock AcquireInstance(Core.Model.AgentLabels labels)
    {
        var name = new string($"{labels.Prefix}-{labels.InstanceId}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"agent-instance-{name}.lock");
        return AcquireFile(path, holder =>
            $"another agent (pid {holder}) is running as instance {labels.InstanceId} (it holds {path}); " +
            "stop it first, or give this agent its own --instance");
    }

    private static StateDirLock AcquireFile(string path, Func<string, string> heldBy)
    {
        // Opened through libc: .NET's own FileShare emulation would take a shared flock of its own on every open.
        // Read-only while held, so the state dir can still be remounted read-only under a running agent.
        var fd = LibC.Open(path, LibC.ORdOnly | LibC.OCreat | LibC.OCloExec, 0x1A4 /* 0644 */);
        if (fd < 0)
            throw new IOException($"cannot open the lock {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (LibC.Flock(fd, LibC.LockEx | LibC.LockNb) < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            var holder = ReadHolder(handle);
            handle.Dispose();
            if (error == LibC.EWouldBlock) throw new StateDirLockedException(heldBy(holder));
            throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        var writer = LibC.Open(path, LibC.OWrOnly | LibC.OTrunc | LibC.OCloExec);
        try
        {
            if (writer >= 0)
                using (var pidFile = new SafeFileHandle(writer, ownsHandle: true))
                    RandomAccess.Write(pidFile, Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"), 0);
        }
        catch (IOException)
        {
            // A full or read-only state dir: the lock holds all the same, only the next agent's message lacks the pid.
        }
        return new StateDirLock(handle, path);
    }

    private static string ReadHolder(SafeFileHandle handle)
    {
        var buffer = new byte[32];
        var read = RandomAccess.Read(handle, buffer, 0);
        var text = Encoding.ASCII.GetString(buffer, 0, read).Trim();
        return text.Length > 0 && text.All(char.IsAsciiDigit) ? text : "unknown";
    }

    public void Dispose() => handle.Dispose();
}

/// <summary>The host-wide lock of this agent's instance id (see <see cref="StateDirLock.AcquireInstance"/>).</summary>
public sealed class InstanceLock(StateDirLock held) : IDisposable
{
    public string Path => held.Path;

    public void Dispose() => held.Dispose();
}
