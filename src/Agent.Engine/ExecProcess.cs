using System.Diagnostics;

namespace Agent.Engine;

/// <summary>
/// Ends an exec that ran past its timeout. The Engine API (1.41) has no call to kill an exec, so the agent kills the
/// process by its host pid, after checking through /proc that the pid really belongs to that container's cgroup
/// (a pid from another pid namespace, or one reused since, is never touched).
/// </summary>
internal static class ExecProcess
{
    public static bool Kill(string containerId, long pid)
    {
        if (pid <= 0 || string.IsNullOrEmpty(containerId)) return false;
        try
        {
            var cgroup = File.ReadAllText($"/proc/{pid}/cgroup");
            if (!cgroup.Contains(containerId, StringComparison.Ordinal)) return false;
            using var process = Process.GetProcessById((int)pid);
            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                                      or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
