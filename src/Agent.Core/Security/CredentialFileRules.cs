namespace Agent.Core.Security;

/// <summary>
/// Which host files a GitRepository may name as its secret files (secretRef, webhook.secretFile, verify.allowedSignersFile).
/// The agent reads them as itself and a token, user name or password goes to the repository's server, so a manifest must
/// not make it read the agent's own secrets and state, the kernel's files or the system's credential databases. ~/.ssh
/// and folders such as /etc/agent stay usable: that is where keys, known_hosts and tokens belong. Messages name only the
/// path as written, never where a symlink leads.
/// </summary>
public static class CredentialFileRules
{
    /// <summary>System files that hold passwords, hashes or host keys.</summary>
    public static readonly string[] SystemCredentialPaths =
        ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d", "/etc/security/opasswd", "/etc/master.passwd"];

    /// <summary>Files of the engine and the container runtimes (their state and credentials).</summary>
    private static readonly string[] EnginePaths = ["/var/lib/docker", "/var/lib/containerd", "/run/containerd", "/var/run/containerd", "/var/lib/kubelet"];

    /// <summary>Null when <paramref name="file"/> may be read for the field; otherwise why not. <paramref name="sentToServer"/>:
    /// a token, user name or password (sent as HTTP auth), which may not come from ~/.ssh either.</summary>
    public static string? Problem(string file, SecurityOptions options, Func<string, string> resolveLinks, bool sentToServer)
    {
        if (ControlCharacters.In(file)) return "the path contains a control character";
        var normal = HostPath.Normalize(file);
        string resolved;
        try
        {
            resolved = HostPath.Normalize(resolveLinks(normal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            resolved = normal;
        }
        foreach (var path in new[] { normal, resolved }.Distinct())
        {
            var via = path == normal ? "it" : "it resolves through a symbolic link to a file that";
            if (options.AgentSecretPaths.Concat(options.AgentStatePaths).Select(HostPath.Normalize).Any(s => AtOrUnder(path, s)))
                return $"{via} holds the agent's own secrets or state (its tokens, keys, state dir or engine socket); it is never read for a repository";
            if (HostPathRules.KernelPaths.Any(k => AtOrUnder(path, k)))
                return $"{via} belongs to the kernel (/proc, /sys, /dev); it is never read for a repository";
            if (SystemCredentialPaths.Any(s => AtOrUnder(path, s)) || IsHostKey(path))
                return $"{via} is one of the system's credential databases or host keys; it is never read for a repository";
            if (EnginePaths.Any(e => AtOrUnder(path, e)))
                return $"{via} belongs to the container engine; it is never read for a repository";
            var names = sentToServer ? options.SensitiveNames : options.SensitiveNames.Where(n => n != ".ssh");
            if (HostPath.Components(path).FirstOrDefault(c => names.Contains(c, StringComparer.Ordinal)) is { } name)
                return $"{via} lies in a folder named {name}, which holds another tool's keys and credentials" +
                       (name == ".ssh" ? " (an SSH key is named by sshKeyFile, never sent as a token or password)" : "") + "; it is never read for a repository";
        }
        return null;
    }

    private static bool IsHostKey(string path)
    {
        var parts = HostPath.Components(path);
        return HostPath.IsUnder(path, "/etc/ssh") && parts[^1].StartsWith("ssh_host_", StringComparison.Ordinal) && !parts[^1].EndsWith(".pub", StringComparison.Ordinal);
    }

    private static bool AtOrUnder(string path, string folder) => path == folder || HostPath.IsUnder(path, folder);
}
