using System.Text.RegularExpressions;

namespace Agent.Core.Git;

/// <summary>The transports a GitRepository may name, and what is refused in its URL (credentials, options, git's ext::).</summary>
public static partial class GitUrls
{
    public static readonly string[] Schemes = ["https", "http", "ssh", "git", "file"];

    // git's scp-like form: no slash before the first colon; the path may be relative or absolute (git@host:/srv/git/x.git).
    [GeneratedRegex(@"^(?<user>[A-Za-z0-9._-]+@)?(?<host>[A-Za-z0-9.-]+):(?<path>.+)$")]
    private static partial Regex ScpLike();

    /// <summary>The transport of a valid URL ("ssh" for the scp-like form git@host:path), or an error for people.</summary>
    public static string? Check(string url, out string scheme)
    {
        scheme = "";
        if (url.Length == 0) return "is empty";
        if (url.StartsWith('-')) return "must not start with '-'";
        var sep = url.IndexOf("://", StringComparison.Ordinal);
        var helper = url.IndexOf("::", StringComparison.Ordinal);
        if (helper >= 0 && (sep < 0 || helper < sep))
            return $"uses git's remote-helper form \"{new string(url[..helper].Where(c => !char.IsControl(c)).ToArray())}::\" (like ext::, which runs a command); only {string.Join(", ", Schemes.Select(s => s + "://"))} and user@host:path are allowed";
        if (url.Any(char.IsControl) || url.Any(char.IsWhiteSpace)) return "must not hold spaces or control characters";
        if (sep < 0)
        {
            if (ScpLike().Match(url) is { Success: true } m)
            {
                scheme = "ssh";
                return m.Groups["host"].Value.StartsWith('-') ? "has a host starting with '-'" : null;
            }
            return $"is not a URL git can fetch over one of {string.Join(", ", Schemes.Select(s => s + "://"))} (or user@host:path)";
        }
        scheme = url[..sep].ToLowerInvariant();
        if (!Schemes.Contains(scheme))
            return $"has the transport \"{url[..sep]}\"; only {string.Join(", ", Schemes.Select(s => s + "://"))} and user@host:path are allowed";
        var authority = Authority(url, sep);
        var at = authority.LastIndexOf('@');
        if (at >= 0 && authority[..at].Contains(':'))
            return "holds a password: credentials are read from files (spec.secretRef), never written in the URL";
        // Only ssh has user names that are not secrets (git@host); elsewhere a user name is often a token (ghp_..., glpat-...,
        // oauth2) and git would carry it on its command line, which every local user can read in `ps`.
        if (scheme != "ssh" && at >= 0)
            return "holds a user name: credentials are read from files (spec.secretRef.tokenFile, or usernameFile and passwordFile), never written in the URL";
        // GitLab's private_token=, Azure's sig=, presigned URLs: a query or fragment of an HTTP URL is a credential in the
        // URL as much as user information (shown in status and logs, on git's command line).
        if (scheme is "http" or "https" && url.IndexOfAny(['?', '#'], sep) >= 0)
            return "holds a query string or fragment (?private_token=, ?sig=...): credentials are read from files (spec.secretRef.tokenFile, or usernameFile and passwordFile), never written in the URL";
        var host = at >= 0 ? authority[(at + 1)..] : authority;
        if (host.StartsWith('-')) return "has a host starting with '-'";
        if (scheme != "file" && host.Length == 0) return "names no host";
        return null;
    }

    /// <summary>Whether <paramref name="arg"/> is a URL carrying user information that is not a plain ssh user name: such a
    /// URL never goes on git's command line (the parser refuses it; this guards every other way in).</summary>
    public static bool CarriesCredentials(string arg)
    {
        var sep = arg.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0 || !arg[..sep].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '.' or '-')) return false;
        var authority = Authority(arg, sep);
        if (IsHttp(arg, sep) && arg.IndexOfAny(['?', '#'], sep) >= 0) return true;
        var at = authority.LastIndexOf('@');
        if (at < 0) return false;
        return !arg[..sep].Equals("ssh", StringComparison.OrdinalIgnoreCase) || authority[..at].Contains(':');
    }

    private static bool IsHttp(string url, int sep) =>
        url[..sep].Equals("http", StringComparison.OrdinalIgnoreCase) || url[..sep].Equals("https", StringComparison.OrdinalIgnoreCase);

    /// <summary>Stands for a cut query string or fragment in a shown URL.</summary>
    public const string CutQuery = "?…";

    private static string Authority(string url, int sep)
    {
        var rest = url[(sep + 3)..];
        var end = rest.IndexOf('/');
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>Whether the transport neither encrypts nor authenticates the server (http://, git://): what is fetched
    /// can be changed on the way unless commits are verified (spec.verify).</summary>
    public static bool IsPlain(string url) =>
        url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("git://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The URL without its user information (<c>https://user@host/x</c> → <c>https://host/x</c>, <c>git@host:x</c>
    /// → <c>host:x</c>) and, for http(s), without its query string or fragment (<c>?private_token=…</c> → <c>?…</c>), for
    /// logs, status, metrics and errors: a user name can be a token, a password or a query parameter is a credential.</summary>
    public static string Redact(string url)
    {
        var sep = url.IndexOf("://", StringComparison.Ordinal);
        if (sep < 0)
            return ScpLike().Match(url) is { Success: true } m && m.Groups["user"].Success ? url[m.Groups["user"].Length..] : url;
        if (IsHttp(url, sep) && url.IndexOfAny(['?', '#'], sep) is var query and >= 0) url = url[..query] + CutQuery;
        var start = sep + 3;
        var end = url.IndexOf('/', start);
        var authority = end < 0 ? url[start..] : url[start..end];
        var at = authority.LastIndexOf('@');
        if (at < 0) return url;
        return url[..start] + authority[(at + 1)..] + (end < 0 ? "" : url[end..]);
    }

    /// <summary>Every URL in <paramref name="text"/> without its user information and an http(s) URL's query string or
    /// fragment (git echoes URLs in its errors), and
    /// ssh's <c>user@host</c> forms (<c>root@127.0.0.1: Permission denied</c>, <c>git@host:org/x.git</c>) without the user.</summary>
    public static string Scrub(string text) => SshUser().Replace(Userinfo().Replace(HttpQuery().Replace(text, "${url}" + CutQuery), "${scheme}://"), "");

    [GeneratedRegex(@"(?<url>\b[Hh][Tt][Tt][Pp][Ss]?://[^\s'""?#]*)[?#][^\s'""]*")]
    private static partial Regex HttpQuery();

    [GeneratedRegex(@"(?<![\w.+@/-])[\w.+-]+@(?=[\w-]+(?:\.[\w-]+)*(?::|\s|$|'|""|\]))")]
    private static partial Regex SshUser();

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://[^/\s@'""]*@")]
    private static partial Regex Userinfo();
}
