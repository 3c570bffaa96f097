using System.Globalization;

namespace Agent.Core.Security;

/// <summary>
/// Users and groups. Under Restricted, a container runs as a numeric non-zero uid with a numeric non-zero gid (a name
/// could map to 0 in the image, and a uid without a passwd entry gets gid 0), and joins no privileged group.
/// </summary>
public static class UserRules
{
    /// <summary>Group names that give host-level power when they map to the host's group of that name.</summary>
    public static readonly string[] PrivilegedGroupNames =
        ["root", "docker", "sudo", "disk", "adm", "shadow", "wheel", "kmem", "admin", "lxd", "libvirt", "kvm", "systemd-journal", "tty", "utmp", "staff", "video"];

    /// <summary>The user part and the group part of `user[:group]`.</summary>
    public static (string User, string? Group) Split(string? user)
    {
        if (string.IsNullOrEmpty(user)) return ("", null);
        var colon = user.IndexOf(':');
        return colon < 0 ? (user, null) : (user[..colon], user[(colon + 1)..]);
    }

    /// <summary>True for root by name or by any spelling of id 0 (`0`, `00`, `+0`).</summary>
    public static bool IsRoot(string? idOrName) =>
        idOrName is not null && (idOrName == "root" || IsNumeric(idOrName, out var id) && id == 0);

    public static bool IsNumeric(string text, out long id) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out id) && text.Length > 0 && text.All(c => char.IsAsciiDigit(c) || c == '+');

    /// <summary>True when the text (a name or a gid) is a privileged group.</summary>
    public static bool IsPrivilegedGroup(string group, SecurityOptions options) =>
        IsNumeric(group, out var gid)
            ? gid == 0 || options.PrivilegedGroupIds.Contains((int)Math.Clamp(gid, int.MinValue, int.MaxValue))
            : PrivilegedGroupNames.Contains(group.Trim().ToLowerInvariant(), StringComparer.Ordinal);

    public static void CheckRestricted(List<Violation> v, string? user, IReadOnlyList<string> groupAdd, SecurityOptions options)
    {
        var (uid, gid) = Split(user);
        if (uid.Length == 0 || IsRoot(uid))
            v.Add(new("user", "the restricted profile needs a non-root user with a group, as numbers (e.g. user: \"65534:65534\")"));
        else if (!IsNumeric(uid, out _))
            v.Add(new("user", $"the restricted profile needs a numeric uid (\"{uid}\" could be root in the image): e.g. user: \"65534:65534\""));
        else if (string.IsNullOrEmpty(gid))
            v.Add(new("user", $"the restricted profile needs the group too (user: \"{uid}:{uid}\"): without it the engine takes the image's, which is 0 (root) for a uid the image does not know"));
        else if (!IsNumeric(gid, out _))
            v.Add(new("user", $"the restricted profile needs a numeric gid (\"{gid}\" could be root in the image)"));
        else if (IsPrivilegedGroup(gid, options))
            v.Add(new("user", $"group {gid} is a privileged group (root or a host admin group) and is not allowed under the restricted profile"));

        for (var i = 0; i < groupAdd.Count; i++)
            if (IsPrivilegedGroup(groupAdd[i], options))
                v.Add(new($"groupAdd[{i}]", $"group \"{groupAdd[i]}\" is a privileged group (root, docker, sudo, disk, adm, shadow, wheel, kmem, ...) and is not allowed under the restricted profile"));
    }
}
