using System.Runtime.InteropServices;
using System.Text;

namespace Agent.State;

/// <summary>The agent's own trust anchors (its state dir, tokens file, JWT key, registry credential files) must be its
/// own, like ssh's keys: a file another local user owns or may write could make that user the agent's admin (probe-15d
/// H12), and so could a folder above it that user may write, where he can rename a file of his own over it (probe-15i M6;
/// sshd's StrictModes judges the same folders).</summary>
internal static class TrustedPaths
{
    private const int AtFdCwd = -100;
    private const uint StatxMode = 0x2, StatxUid = 0x8;
    private const int SIfMt = 0xF000, SIfDir = 0x4000, Sticky = 0x200, GroupOrOtherWrite = 0x12, OtherWrite = 0x2;
    private const ulong StRdOnly = 1;
    public const string AdminRisk = "another user could make himself admin";

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "statvfs", SetLastError = true)]
    private static extern int Statvfs(byte[] path, byte[] buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Why <paramref name="path"/> cannot be trusted (null: it can, or it does not exist yet).</summary>
    public static string? Problem(string path, string what, string risk = AdminRisk)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var full = Path.GetFullPath(path);
        if (Stat(full) is not { } stat) return null; // missing: its reader says so
        var self = GetEuid();
        if (stat.Owner != self && stat.Owner != 0)
            return $"{what} {full} is owned by uid {stat.Owner}, not by the agent's user (uid {self}) or root: {risk}; chown it";
        // Group-writable is left to the admin (a umask 002 makes every file so); writable by every user never is.
        if ((stat.Mode & OtherWrite) != 0)
            return $"{what} {full} may be written by any user (mode {Octal(stat.Mode)}): {risk}; chmod o-w it";
        return FolderProblem(full, what, risk);
    }

    /// <summary>Why a folder the kernel passes through to reach <paramref name="full"/> (each folder above it, also those
    /// above a symlink's target) lets another user replace it: owned by another user, or writable by group or others
    /// without the sticky bit (in a sticky folder such as /tmp only an entry's owner may rename it). A folder on a
    /// read-only mount (a Kubernetes Secret volume is one, mode 0777) cannot be written through this path at all.</summary>
    private static string? FolderProblem(string full, string what, string risk)
    {
        var self = GetEuid();
        var folders = Sources.ManifestFolder.Locations(full).Select(l => Path.GetDirectoryName(l.TrimEnd('/')))
            .OfType<string>().Distinct(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (Stat(folder) is not { } stat || (stat.Mode & SIfMt) != SIfDir || ReadOnlyMount(folder)) continue;
            if (stat.Owner != self && stat.Owner != 0)
                return $"{what} {full} lies in {folder}, which is owned by uid {stat.Owner}, not by the agent's user (uid {self}) or root: " +
                       $"that user could replace it, {risk}; move it to a folder of root's or the agent's user";
            if ((stat.Mode & GroupOrOtherWrite) != 0 && (stat.Mode & Sticky) == 0)
                return $"{what} {full} lies in {folder}, which other users may write (mode {Octal(stat.Mode)}, no sticky bit): " +
                       $"one could rename a file of his own over it, {risk}; chmod go-w {folder} (as sshd's StrictModes asks)";
        }
        return null;
    }

    private static (uint Owner, int Mode)? Stat(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, Encoding.UTF8.GetBytes(path + "\0"), 0, StatxMode | StatxUid, buffer) != 0) return null;
        return (BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt16(buffer, 28));
    }

    private static bool ReadOnlyMount(string folder)
    {
        var buffer = new byte[256]; // struct statvfs on 64-bit Linux (glibc and musl): f_flag at offset 72
        return Statvfs(Encoding.UTF8.GetBytes(folder + "\0"), buffer) == 0 && (BitConverter.ToUInt64(buffer, 72) & StRdOnly) != 0;
    }

    private static string Octal(int mode) => Convert.ToString(mode & 0xFFF, 8);

    /// <summary>Throws with every problem of the paths that are set.</summary>
    public static void Require(params (string? Path, string What)[] paths) => Require(AdminRisk, paths);

    public static void Require(string risk, params (string? Path, string What)[] paths)
    {
        var problems = paths.Where(p => !string.IsNullOrWhiteSpace(p.Path)).Select(p => Problem(p.Path!, p.What, risk)).OfType<string>().ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
    }
}
