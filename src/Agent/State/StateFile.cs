using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Agent.State;

/// <summary>
/// Files in the state dir: written whole or not at all (temp file, fsync, rename, fsync of the folder), so a crash or a
/// full disk never leaves half a file; read back with corrupt content moved aside (<c>name.corrupt-UTC</c>) and reported.
/// </summary>
public static class StateFile
{
    private static readonly AsyncLocal<bool> lookOnly = new();

    /// <summary>False inside a <see cref="LookOnly"/> scope: a command that only looks (diff, validate, render) never
    /// creates, writes, moves aside or deletes anything in a state dir (probe-15j H3/H4: a diff with the running agent's
    /// --state-dir rewrote its records). Every write to the state dir goes through here or checks it.</summary>
    public static bool MayWrite => !lookOnly.Value;

    /// <summary>Makes this flow (and everything it starts) look only, until disposed.</summary>
    public static IDisposable LookOnly()
    {
        var before = lookOnly.Value;
        lookOnly.Value = true;
        return new Restore(() => lookOnly.Value = before);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Func<string?>> guards = new(StringComparer.Ordinal);

    /// <summary>While the returned scope lasts, a write into <paramref name="dir"/> (or below) is refused when
    /// <paramref name="problem"/> says why: a running agent's state dir that is missing or another folder is never
    /// written (nor made again) as if fresh (probe-15j M5; see <see cref="StateDirWatch"/>).</summary>
    public static IDisposable Guard(string dir, Func<string?> problem)
    {
        var key = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(dir));
        guards[key] = problem;
        return new Restore(() => guards.TryRemove(new KeyValuePair<string, Func<string?>>(key, problem)));
    }

    /// <summary>Why the state dir that holds <paramref name="path"/> must not be written now, or null.</summary>
    internal static string? Refused(string path)
    {
        if (guards.IsEmpty) return null;
        var full = System.IO.Path.GetFullPath(path);
        foreach (var (dir, problem) in guards)
            if (full.StartsWith(dir + "/", StringComparison.Ordinal) && problem() is { } why) return why;
        return null;
    }

    /// <summary>The guarded state dir that holds <paramref name="full"/> (or is it), or null.</summary>
    private static string? GuardedDir(string full)
    {
        foreach (var dir in guards.Keys)
            if (full == dir || full.StartsWith(dir + "/", StringComparison.Ordinal)) return dir;
        return null;
    }

    /// <summary>Makes <paramref name="folder"/> for a write into a running agent's state dir: only the folders below the
    /// state dir, one at a time, never the state dir itself nor a parent of it (probe-16 F8: a state dir moved away was
    /// made again, empty, by the next write, and moving it back then nested it in the new one). Only start-up makes the
    /// state dir (<see cref="StateDirLock.Acquire"/>). Outside a running agent's state dir it is
    /// <see cref="Directory.CreateDirectory(string)"/>.</summary>
    /// <exception cref="StateWriteException">the state dir is missing or not the folder the agent started with.</exception>
    public static void CreateDirectory(string folder, UnixFileMode? mode = null)
    {
        try
        {
            MakeFolders(System.IO.Path.GetFullPath(folder), mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateWriteException(folder, e);
        }
    }

    private static void MakeFolders(string full, UnixFileMode? mode)
    {
        full = System.IO.Path.TrimEndingDirectorySeparator(full);
        if (GuardedDir(full) is not { } dir)
        {
            if (mode is { } m && !OperatingSystem.IsWindows()) Directory.CreateDirectory(full, m);
            else Directory.CreateDirectory(full);
            return;
        }
        if (guards.TryGetValue(dir, out var problem) && problem() is { } why) throw new IOException(why);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"the state dir {dir} is missing: it is not made again while the agent runs");
        var level = dir;
        foreach (var part in full[dir.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            level = System.IO.Path.Combine(level, part);
            if (OperatingSystem.IsLinux())
            {
                var errno = LibC.MakeDirectory(level, mode is { } m ? (int)m : 0x1FF /* 0777, less the umask */);
                if (errno != 0 && errno != LibC.EExist)
                    throw new IOException($"cannot make {level}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
            else if (!Directory.Exists(level))
            {
                if (!Directory.Exists(System.IO.Path.GetDirectoryName(level))) throw new DirectoryNotFoundException($"cannot make {level}: its folder is missing");
                Directory.CreateDirectory(level);
            }
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> durably; on failure the old file is intact.</summary>
    public static void Write(string path, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        if (!MayWrite) return; // the state stays as the running agent keeps it; this command's view is in memory only
        if (Refused(path) is { } refused) throw new StateWriteException(path, new IOException(refused));
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.tmp-{Environment.ProcessId}");
        try
        {
            MakeFolders(directory, null); // never the state dir itself: moved away, it stays away until moved back
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            LibC.FsyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // A read-only or full folder: the temp file was not made, or cannot be removed; the real file is intact.
            }
            throw new StateWriteException(path, e);
        }
    }

    public static void WriteJson<T>(string path, T value) => Write(path, JsonSerializer.Serialize(value, Core.Json.CoreJson.Info<T>(Http.AgentJson.State)) + "\n");

    /// <summary>Writes like <see cref="WriteJson{T}"/> for a record the agent can also keep in memory: a state dir that
    /// cannot take it is logged (<paramref name="meanwhile"/> says what holds instead) and false returned, never thrown.</summary>
    public static bool WriteJsonOrWarn<T>(string path, T value, ILogger logger, string meanwhile)
    {
        try
        {
            WriteJson(path, value);
            return true;
        }
        catch (StateWriteException e)
        {
            logger.LogWarning("{File} cannot be written ({Error}); {Meanwhile}", path, e.Message, meanwhile);
            return false;
        }
    }

    /// <summary>
    /// Reads a JSON state file: <c>null</c> when it does not exist. An empty or corrupt file is moved aside and reported
    /// (path, line and column), and reads as absent: the agent starts without it rather than not at all (a command that
    /// only looks leaves it in place).
    /// </summary>
    public static T? ReadJson<T>(string path, ILogger logger) where T : class
    {
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path);
        string reason;
        try
        {
            if (text.Trim().Length > 0 && JsonSerializer.Deserialize(text, Core.Json.CoreJson.Info<T>(Http.AgentJson.State)) is { } value) return value;
            reason = text.Trim().Length == 0 ? "the file is empty" : "the file holds null";
        }
        catch (JsonException e)
        {
            reason = Where(e);
        }
        MoveAside(path, reason, logger);
        return null;
    }

    /// <summary>Where and why a state file is not JSON: "line 3, column 3: ...".</summary>
    public static string Where(JsonException e) => $"line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: {e.Message.Split(" Path:")[0]}";

    /// <summary>Moves a corrupt state file (or a folder found where a state file belongs) out of the way as
    /// <c>name.corrupt-yyyyMMddTHHmmssZ</c>, keeping it for inspection.</summary>
    /// <returns>Where it is now, or null when it could not be moved.</returns>
    /// <param name="then">What the agent does instead (the end of the log line): by default it starts without the file; a
    /// record that must not read as empty (<see cref="LostRecord"/>) says what it holds.</param>
    public static string? MoveAside(string path, string reason, ILogger logger, string? then = null)
    {
        if (!MayWrite)
        {
            logger.LogError("State file {File} is corrupt ({Reason}); read as absent and left in place (this command only looks)", path, reason);
            return null;
        }
        if (Refused(path) is { } refused)
        {
            logger.LogError("State file {File} is corrupt ({Reason}); read as absent and left in place: {Refused}", path, reason, refused);
            return null;
        }
        var aside = $"{path}.corrupt-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        try
        {
            if (Directory.Exists(path)) Directory.Move(path, aside);
            else File.Move(path, aside, overwrite: true);
            logger.LogError("State file {File} is corrupt ({Reason}); moved it aside to {Aside} {Then}", path, reason, aside, then ?? "and starting without it");
            return aside;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError("State file {File} is corrupt ({Reason}) and cannot be moved aside ({Error}); {Then}", path, reason, e.Message, then ?? "starting without it");
            return null;
        }
    }
}
