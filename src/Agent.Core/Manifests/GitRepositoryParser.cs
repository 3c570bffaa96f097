using Agent.Core.Git;
using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Reads the spec of a GitRepository (Flux's fields, plus webhook.secretFile and timeout).</summary>
internal static class GitRepositoryParser
{
    public static readonly string[] Fields = ["url", "ref", "path", "interval", "timeout", "secretRef", "verify", "webhook", "suspend", "prune", "insecure"];
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public static GitRepositorySpec? Parse(YamlCursor spec, Func<string, string> resolveLinks)
    {
        var f = spec.Mapping(Fields);
        if (f is null) return null;
        var errorsBefore = spec.Context.Errors.Count;

        string? url = null;
        var scheme = "";
        if (!f.TryGetValue("url", out var u)) spec.Error("missing required field \"url\" (https://, ssh://, git://, file:// or user@host:path)");
        else if ((url = u.String()) is not null && GitUrls.Check(url, out scheme) is { } urlError)
        {
            u.Error($"the URL {GitUrls.Redact(url)} {urlError}");
            url = null;
        }

        var gitRef = f.TryGetValue("ref", out var r) ? ParseRef(r) : new GitRef(Branch: "main");
        var path = "";
        SourceLocation? pathSource = null;
        if (f.TryGetValue("path", out var p) && p.String() is { } text)
        {
            pathSource = p.Location;
            // "", ".", "./" and "/" are the root; ".." (alone too) is outside the repository.
            var trimmed = text.Trim().TrimStart('.', '/').Length == 0 && !text.Contains("..", StringComparison.Ordinal) ? "" : text.Trim().TrimEnd('/');
            if (trimmed.StartsWith("./", StringComparison.Ordinal)) trimmed = trimmed[2..];
            if (trimmed.StartsWith('/') || trimmed.Split('/').Any(s => s == ".."))
                p.Error($"{YamlCursor.Quote(text)} must be a folder inside the repository (relative, without \"..\")");
            else path = trimmed;
        }
        var interval = f.TryGetValue("interval", out var i) ? i.Duration(DurationLimits.Agent) : null;
        if (interval is { } iv && iv < MinInterval) i!.Error($"interval {Durations.Format(iv)} is too short: at least 1s");
        var timeout = f.TryGetValue("timeout", out var t) ? t.Duration(DurationLimits.Agent) : null;
        if (timeout is { } tv && tv < MinInterval) t!.Error($"timeout {Durations.Format(tv)} is too short: at least 1s");

        var insecure = f.TryGetValue("insecure", out var ins) && (ins.Bool() ?? false);
        var secret = f.TryGetValue("secretRef", out var s) ? ParseSecretRef(s, scheme, insecure, resolveLinks) : null;
        string? signers = null;
        if (f.TryGetValue("verify", out var v) && v.Mapping("allowedSignersFile") is { } vf)
        {
            if (!vf.TryGetValue("allowedSignersFile", out var a)) v.Error("missing required field \"allowedSignersFile\" (a file of allowed SSH signing keys)");
            else signers = SecretFile(a, resolveLinks, sentToServer: false);
        }
        string? hookSecret = null;
        if (f.TryGetValue("webhook", out var w) && w.Mapping("secretFile") is { } wf)
        {
            if (!wf.TryGetValue("secretFile", out var sf)) w.Error("missing required field \"secretFile\" (the file holding the webhook secret)");
            else hookSecret = SecretFile(sf, resolveLinks, sentToServer: false);
        }

        if (spec.Context.Errors.Count > errorsBefore || url is null) return null;
        return new GitRepositorySpec
        {
            Url = url,
            Ref = gitRef ?? new GitRef(Branch: "main"),
            Path = path,
            PathSource = pathSource,
            Interval = interval ?? TimeSpan.FromMinutes(1),
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
            SecretRef = secret,
            AllowedSignersFile = signers,
            WebhookSecretFile = hookSecret,
            Suspend = f.TryGetValue("suspend", out var su) && (su.Bool() ?? false),
            Prune = !f.TryGetValue("prune", out var pr) || (pr.Bool() ?? true),
            Insecure = insecure,
        };
    }

    private static GitRef? ParseRef(YamlCursor cursor)
    {
        var f = cursor.Mapping("branch", "tag", "semver", "commit");
        if (f is null) return null;
        var named = f.Keys.ToList();
        if (named.Count != 1)
        {
            cursor.Error(named.Count == 0 ? "name one of branch, tag, semver or commit" : $"name only one of branch, tag, semver or commit (found {string.Join(", ", named)})");
            return null;
        }
        var (key, value) = f.First();
        var text = value.String();
        if (text is null) return null;
        if (key == "semver")
        {
            if (SemverRange.Parse(text, out var rangeError) is null)
            {
                value.Error($"{YamlCursor.Quote(text)} is not a semver range ({rangeError}); e.g. \">=1.0.0 <2.0.0\", \"~1.2\", \"^1.4.0\"");
                return null;
            }
            return new GitRef(Semver: text);
        }
        if (key == "commit")
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(text, "^[0-9a-f]{40}$"))
            {
                value.Error($"{YamlCursor.Quote(text)} is not a full commit id (40 lowercase hex digits)");
                return null;
            }
            return new GitRef(Commit: text);
        }
        if (!RefName(text))
        {
            value.Error($"{YamlCursor.Quote(text)} is not a valid {key} name");
            return null;
        }
        return key == "branch" ? new GitRef(Branch: text) : new GitRef(Tag: text);
    }

    /// <summary>git check-ref-format's rules, enough to keep a name from being read as an option or a pattern.</summary>
    private static bool RefName(string name) =>
        name.Length is > 0 and <= 255 && !name.StartsWith('-') && !name.StartsWith('/') && !name.EndsWith('/') && !name.EndsWith(".lock", StringComparison.Ordinal)
        && !name.EndsWith('.') && !name.Contains("..") && !name.Contains("@{") && !name.Contains("//")
        && name.All(c => c > ' ' && c != 0x7f && c is not ('~' or '^' or ':' or '?' or '*' or '[' or '\\'));

    private static GitSecretRef? ParseSecretRef(YamlCursor cursor, string scheme, bool insecure, Func<string, string> resolveLinks)
    {
        var f = cursor.Mapping("sshKeyFile", "knownHostsFile", "tokenFile", "usernameFile", "passwordFile");
        if (f is null) return null;
        string? File(string name) => f.TryGetValue(name, out var c) ? SecretFile(c, resolveLinks, sentToServer: name is "tokenFile" or "usernameFile" or "passwordFile") : null;
        var result = new GitSecretRef(File("sshKeyFile"), File("knownHostsFile"), File("tokenFile"), File("usernameFile"), File("passwordFile"));
        // The rules between fields look at what is named, also a file refused above (said once, at its own field).
        var named = new GitSecretRef(Named("sshKeyFile"), Named("knownHostsFile"), Named("tokenFile"), Named("usernameFile"), Named("passwordFile"));
        string? Named(string name) => f.ContainsKey(name) ? name : null;
        if ((named.SshKeyFile ?? named.KnownHostsFile) is not null && scheme is not ("ssh" or ""))
            cursor.Error($"sshKeyFile and knownHostsFile are for ssh:// URLs, not {scheme}://");
        if (named.SshKeyFile is not null && named.KnownHostsFile is null)
            cursor.Error("sshKeyFile needs knownHostsFile: the server's host key is checked, never trusted on first use");
        if ((named.TokenFile ?? named.UsernameFile ?? named.PasswordFile) is not null && scheme is not ("https" or "http" or ""))
            cursor.Error($"tokenFile, usernameFile and passwordFile are for https:// URLs, not {scheme}://");
        // Like Flux: credentials are not sent in clear text unless the manifest says so.
        if (scheme == "http" && !insecure && (f.GetValueOrDefault("tokenFile") ?? f.GetValueOrDefault("usernameFile") ?? f.GetValueOrDefault("passwordFile")) is { } clear)
            clear.Error("credentials are not sent over plain http://, where anyone on the way can read them: use https://, or set spec.insecure: true to allow it");
        if (named.TokenFile is not null && (named.UsernameFile ?? named.PasswordFile) is not null)
            cursor.Error("name either tokenFile or usernameFile and passwordFile, not both");
        if ((named.UsernameFile is null) != (named.PasswordFile is null))
            cursor.Error("usernameFile and passwordFile go together");
        return result;
    }

    /// <summary>An absolute path to a file the agent may read for a repository (<see cref="Security.CredentialFileRules"/>).</summary>
    private static string? SecretFile(YamlCursor cursor, Func<string, string> resolveLinks, bool sentToServer)
    {
        var text = cursor.String();
        if (text is null) return null;
        if (!System.IO.Path.IsPathRooted(text))
        {
            cursor.Error($"{YamlCursor.Quote(text)} must be an absolute path to a file");
            return null;
        }
        if (Security.CredentialFileRules.Problem(text, cursor.Context.Policy.Options, resolveLinks, sentToServer) is { } problem)
        {
            cursor.Error($"{text} is not allowed: {problem}");
            return null;
        }
        return text;
    }
}
