using Agent.Core.Manifests;

namespace Agent.Core.Security;

/// <summary>What an exec asks for: the command and, optionally, env, working dir and user.</summary>
public sealed record ExecSpec(IReadOnlyList<string> Command, IReadOnlyDictionary<string, string>? Env, string? WorkingDir, string? User);

/// <summary>
/// An exec never exceeds what admission allowed for its container: it runs as the container's user (another only when
/// Agent:Security:AllowExecUser is set, and never root under the restricted profile or into a non-root container
/// unless allowed), is never privileged, works outside /proc, /sys and /dev, and passes only well-formed env.
/// </summary>
public static class ExecPolicy
{
    public static IReadOnlyList<Violation> Check(ExecSpec exec, string? containerUser, SecurityOptions options)
    {
        var v = new List<Violation>();
        if (exec.Command.Count == 0) v.Add(new("command", "command is required: a list like [\"sh\", \"-c\", \"echo hi\"]"));
        for (var i = 0; i < exec.Command.Count; i++)
            if (exec.Command[i].Contains('\0')) v.Add(new($"command[{i}]", "the argument contains a NUL character"));

        foreach (var (key, value) in exec.Env ?? new Dictionary<string, string>())
        {
            if (!EnvFileSyntax.IsName(key)) v.Add(new($"env.{key}", $"\"{key}\" is not a valid environment variable name"));
            else if (value.Contains('\0')) v.Add(new($"env.{key}", "the value contains a NUL character"));
        }

        if (exec.WorkingDir is { } dir && HostPathRules.WorkingDirProblem(dir) is { } problem) v.Add(new("workingDir", problem));

        if (!string.IsNullOrEmpty(exec.User) && UserProblem(exec.User, containerUser ?? "", options) is { } userProblem)
            v.Add(new("user", userProblem));
        return v;
    }

    private static string? UserProblem(string requested, string container, SecurityOptions options)
    {
        if (ControlCharacters.In(requested)) return "the user contains a control character";
        // The restricted profile names no root user in an exec at all, even the container's own.
        if (Same(requested, container, rootAlike: options.Profile != SecurityProfile.Restricted)) return null;
        var shown = container.Length == 0 ? "the image's default user" : $"\"{container}\"";
        if (!options.AllowExecUser)
            return $"exec runs as the container's user ({shown}); another user needs Agent:Security:AllowExecUser";
        var (user, group) = UserRules.Split(requested);
        var rootRequested = UserRules.IsRoot(user) || group is not null && UserRules.IsPrivilegedGroup(group, options);
        if (options.Profile == SecurityProfile.Restricted)
        {
            var v = new List<Violation>();
            UserRules.CheckRestricted(v, requested, [], options);
            if (v.Count > 0) return "exec " + v[0].Message;
        }
        var (containerUid, containerGid) = UserRules.Split(container);
        var containerIsRoot = container.Length == 0 || UserRules.IsRoot(containerUid) || containerGid is not null && UserRules.IsRoot(containerGid);
        return rootRequested && !containerIsRoot
            ? $"exec as \"{requested}\" would be root in a container admitted as {shown}: an exec cannot exceed what admission allowed"
            : null;
    }

    /// <summary>Whether the requested user is the container's own: by name or id alike for root (the container's "" is
    /// the image's default, which the engine already filled in, so "" is root), whose group left out is its own group 0
    /// (probe-62: `-u root` into a root container was refused as another user).</summary>
    private static bool Same(string requested, string container, bool rootAlike)
    {
        var (ua, ga) = UserRules.Split(requested);
        var (ub, gb) = UserRules.Split(container);
        var root = rootAlike && Root(ua) && Root(ub);
        if (!root && !string.Equals(ua, ub, StringComparison.Ordinal)) return false;
        if (string.Equals(ga, gb, StringComparison.Ordinal)) return true;
        return root && (ga is null || UserRules.IsRoot(ga)) && (gb is null || UserRules.IsRoot(gb));
    }

    private static bool Root(string user) => user.Length == 0 || UserRules.IsRoot(user);
}
