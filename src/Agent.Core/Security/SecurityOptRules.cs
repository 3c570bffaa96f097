namespace Agent.Core.Security;

/// <summary>
/// securityOpt by allow-list: no-new-privileges, plus what Agent:Security:AllowedSecurityOpts names. The engine reads
/// `key:value` like `key=value` and a bare `key`; both forms (and any case) are normalised before comparing.
/// </summary>
public static class SecurityOptRules
{
    private static readonly HashSet<string> Booleans = new(StringComparer.Ordinal) { "", "1", "t", "true", "0", "f", "false" };

    /// <summary>`Key=value`, lower-cased, with the engine's `:` separator read as `=`.</summary>
    public static string Normalize(string option)
    {
        var trimmed = option.Trim().ToLowerInvariant();
        var eq = trimmed.IndexOf('=');
        var colon = trimmed.IndexOf(':');
        var sep = eq < 0 ? colon : colon < 0 ? eq : Math.Min(eq, colon);
        return sep < 0 ? trimmed : $"{trimmed[..sep].Trim()}={trimmed[(sep + 1)..].Trim()}";
    }

    public static string? Problem(string option, SecurityOptions options)
    {
        if (ControlCharacters.In(option)) return "the security option contains a control character";
        var normal = Normalize(option);
        var sep = normal.IndexOf('=');
        var key = sep < 0 ? normal : normal[..sep];
        var value = sep < 0 ? "" : normal[(sep + 1)..];
        if (key == "no-new-privileges" && Booleans.Contains(value)) return null;
        if (options.AllowedSecurityOpts.Select(Normalize).Contains(normal, StringComparer.Ordinal)) return null;
        var why = key switch
        {
            "seccomp" when value == "unconfined" => "seccomp=unconfined turns off the syscall filter",
            "seccomp" => "a custom seccomp profile can allow every syscall",
            "apparmor" when value == "unconfined" => "apparmor=unconfined turns off AppArmor",
            "label" when value == "disable" => "label=disable turns off SELinux labels",
            "label" => "a custom SELinux label (user, role, type, level) changes the container's confinement",
            "systempaths" => "systempaths=unconfined unmasks /proc and /sys",
            _ => null,
        };
        return $"security option \"{option}\" is not allowed{(why is null ? "" : $": {why}")} (allowed: no-new-privileges{(options.AllowedSecurityOpts.Count > 0 ? ", " + string.Join(", ", options.AllowedSecurityOpts) : "")}; more with Agent:Security:AllowedSecurityOpts)";
    }
}
