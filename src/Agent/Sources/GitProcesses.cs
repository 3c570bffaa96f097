using System.Diagnostics;
using System.Globalization;

namespace Agent.Sources;

/// <summary>
/// Keeps git's processes from outliving the agent for long. Each git runs in a session of its own (`setsid`: its pid is
/// its session id, and ssh or a remote helper it starts joins that session) and is recorded in <c>STATE/git/.running/PID</c>
/// until it ends. The agent cannot make them die with it (a SIGKILL runs no code, and the parent-death signal is not
/// delivered in every sandbox), so at the next start every process of a recorded session is killed before anything fetches.
/// </summary>
public sealed class GitProcesses(string folder, ILogger? logger = null)
{
    /// <summary>Starts git (through setsid) and records its session.</summary>
    public Process Start(ProcessStartInfo info)
    {
        State.StateLinks.EnsureReal(logger, Path.GetDirectoryName(folder)!, folder);
        State.StateFile.CreateDirectory(folder);
        var process = Process.Start(info) ?? throw new GitSyncException("GitUnavailable", "cannot start git");
        File.WriteAllText(Record(process.Id), "");
        return process;
    }

    /// <summary>The process ended (or was killed with its session): forget it.</summary>
    public void Ended(int pid)
    {
        try
        {
            File.Delete(Record(pid));
        }
        catch (IOException)
        {
            // removed at the next start
        }
    }

    /// <summary>Kills every process left from git sessions of an agent that ended without stopping them; returns how many.</summary>
    public int KillLeftovers()
    {
        // probe-30 F8: `.running` turned into a link had the files of its target deleted at every start.
        if (!State.StateLinks.Unlink(logger, Path.GetDirectoryName(folder)!, folder) || !Directory.Exists(folder)) return 0;
        var killed = 0;
        foreach (var record in Directory.EnumerateFiles(folder))
        {
            if (!int.TryParse(Path.GetFileName(record), NumberStyles.None, CultureInfo.InvariantCulture, out var session)) continue; // not a record of the agent's
            killed += KillSession(session);
            File.Delete(record);
        }
        return killed;
    }

    /// <summary>Kills git and everything it started (ssh, remote helpers, index-pack), also what was reparented.</summary>
    public static int KillSession(int session)
    {
        var killed = 0;
        foreach (var pid in InSession(session))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                killed++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // gone meanwhile
            }
        }
        return killed;
    }

    /// <summary>Processes whose session is <paramref name="session"/> and that git or ssh runs (a pid still used as a session
    /// id is not reused by Linux; the name check guards against a new session that took the number after all ended).</summary>
    private static IEnumerable<int> InSession(int session)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Stat(pid) is not { } stat) continue;
            var fields = stat.Fields;
            if (fields.Length > 3 && fields[3] == session.ToString(CultureInfo.InvariantCulture) && IsGit(stat.Name)) yield return pid;
        }
    }

    private static bool IsGit(string name) => name.StartsWith("git", StringComparison.Ordinal) || name is "ssh" or "setsid";

    /// <summary>/proc/PID/stat: the command name and the fields after it (state, ppid, pgrp, session, …).</summary>
    private static (string Name, string[] Fields)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var open = text.IndexOf('(');
            var close = text.LastIndexOf(')');
            if (open < 0 || close < open) return null;
            return (text[(open + 1)..close], text[(close + 2)..].Split(' '));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string Record(int pid) => Path.Combine(folder, pid.ToString(CultureInfo.InvariantCulture));
}
