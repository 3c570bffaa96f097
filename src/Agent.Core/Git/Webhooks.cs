using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Agent.Core.Git;

/// <summary>Push webhooks from GitHub (X-Hub-Signature-256: sha256=HMAC), Gitea (X-Gitea-Signature: HMAC) and GitLab
/// (X-Gitlab-Token: the secret itself), every comparison in constant time.</summary>
public static class Webhooks
{
    public const string GitHubHeader = "X-Hub-Signature-256";
    public const string GiteaHeader = "X-Gitea-Signature";
    public const string GitLabHeader = "X-Gitlab-Token";

    /// <summary>The provider whose signature is valid, or null (with why) when none is: no header, or a wrong signature.</summary>
    public static string? Verify(Func<string, string?> header, byte[] body, byte[] secret, out string error)
    {
        error = "";
        var mac = HMACSHA256.HashData(secret, body);
        if (header(GiteaHeader) is { } gitea)
            return HexEquals(gitea.Trim(), mac) ? "gitea" : Fail(out error, $"{GiteaHeader} does not match the body signed with the secret");
        if (header(GitHubHeader) is { } github)
        {
            var value = github.Trim();
            return value.StartsWith("sha256=", StringComparison.Ordinal) && HexEquals(value[7..], mac)
                ? "github" : Fail(out error, $"{GitHubHeader} does not match the body signed with the secret (expected sha256=HEX)");
        }
        if (header(GitLabHeader) is { } token)
            return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), SHA256.HashData(secret))
                ? "gitlab" : Fail(out error, $"{GitLabHeader} is not the secret");
        return Fail(out error, $"no signature: send {GitHubHeader} (GitHub), {GiteaHeader} (Gitea) or {GitLabHeader} (GitLab)");
    }

    private static string? Fail(out string error, string message)
    {
        error = message;
        return null;
    }

    private static bool HexEquals(string hex, byte[] expected)
    {
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The ref a push event names ("refs/heads/main"), or null when the body has none (a ping, a test delivery).</summary>
    public static string? PushRef(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("ref", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
