using System.Security.Cryptography;
using System.Text;
using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Auth;

/// <summary>Bearer tokens and their roles, read from a file. Tokens are kept as SHA-256 digests and compared in constant time.</summary>
public sealed class TokenStore
{
    private readonly List<(byte[] Digest, string Role)> tokens = [];
    private readonly byte[]? jwtKey;

    public TokenStore(IOptions<AgentOptions> options, ILogger<TokenStore> logger)
    {
        var auth = options.Value.Auth;
        var file = auth.TokensFile;
        if (string.IsNullOrWhiteSpace(file))
        {
            file = Path.Combine(options.Value.StateDir, "tokens");
            if (!File.Exists(file))
            {
                Directory.CreateDirectory(options.Value.StateDir);
                File.WriteAllText(file, $"# role:token, one per line (viewer, operator, admin)\nadmin:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}\n");
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                logger.LogWarning("No Agent:Auth:TokensFile configured: generated an admin token in {File}", file);
            }
        }
        var lineNumber = 0;
        foreach (var raw in File.ReadAllLines(file))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(':');
            var role = colon > 0 ? line[..colon].Trim() : "";
            var token = colon > 0 ? line[(colon + 1)..].Trim() : "";
            if (Roles.Rank(role) < 0 || token.Length < 16)
                throw new InvalidOperationException($"{file}:{lineNumber}: expected role:token with a role of {string.Join(", ", Roles.All)} and a token of at least 16 characters");
            tokens.Add((SHA256.HashData(Encoding.UTF8.GetBytes(token)), role));
        }
        if (!string.IsNullOrWhiteSpace(auth.JwtKeyFile)) jwtKey = File.ReadAllBytes(auth.JwtKeyFile).AsSpan().Trim((byte)'\n').ToArray();
    }

    /// <summary>The role of a presented token, or null. Every stored token is compared, so timing tells nothing.</summary>
    public string? RoleOf(string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? role = null;
        foreach (var (stored, r) in tokens)
            if (CryptographicOperations.FixedTimeEquals(stored, digest)) role ??= r;
        if (role is null && jwtKey is not null && presented.Count(c => c == '.') == 2) role = Jwt.ValidateRole(presented, jwtKey);
        return role;
    }
}
