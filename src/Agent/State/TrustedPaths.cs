using System.Runtime.InteropServices;
using System.Text;

namespace Agent.State;

/// <summary>The agent's own trust anchors (its state dir, tokens file, JWT key) must be its own, like ssh's keys: a file
/// another local user owns or may write could make that user the agent's admin (probe-15d H12).</summary>
internal static class TrustedPaths
{
    private const int AtFdCwd = -100;
    private const uint StatxMode = 0x2, StatxUid = 0x8;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Why <paramref name="path"/> cannot be trusted (null: it can, or it does not exist yet).</summary>
    public static string? Problem(string path, string what)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var full = Path.GetFullPath(path);
        var buffer = new byte[256];
        if (Statx(AtFdCwd, Encoding.UTF8.GetBytes(full + "\0"), 0, StatxMode | StatxUid, buffer) != 0) return null; // missing: its reader says so
        var owner = BitConverter.ToUInt32(buffer, 20);
        var mode = BitConverter.ToUInt16(buffer, 28);
        var self = GetEuid();
        if (owner != self && owner != 0)
            return $"{what} {full} is owned by uid {owner}, not by the agent's user (uid {self}) or root: another user could make himself admin; chown it";
        // Group-writable is left to the admin (a umask 002 makes every file so); writable by every user never is.
        if ((mode & 0b000_000_010) != 0)
            return $"{what} {full} may be written by any user (mode {Convert.ToString(mode & 0xFFF, 8)}): another user could make himself admin; chmod o-w it";
        return null;
    }

    /// <summary>Throws with every problem of the paths that are set.</summary>
    public static void Require(params (string? Path, string What)[] paths)
    {
        var problems = paths.Where(p => !string.IsNullOrWhiteSpace(p.Path)).Select(p => Problem(p.Path!, p.What)).OfType<string>().ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
    }
}
