using System.Security.Cryptography;
using System.Text;
using Agent.Hosting;
using Agent.State;
using Microsoft.Extensions.Options;

namespace Agent.Auth;

/// <summary>Bearer tokens and their roles, read from a file. Tokens are kept as SHA-256 digests and compared in constant time.</summary>
public sealed class TokenStore
{
    private readonly List<(byte[] Digest, Credential Credential)> tokens = [];
    private readonly byte[]? jwtKey;
    private readonly TimeSpan maxJwtLifetime;

    public TokenStore(IOptions<AgentOptions> options, ILogger<TokenStore> logger)
    {
        var auth = options.Value.Auth;
        maxJwtLifetime = auth.MaxJwtLifetime;
        TrustedPaths.Require((options.Value.StateDir, "the state dir"), (auth.TokensFile, "Agent:Auth:TokensFile"), (auth.JwtKeyFile, "Agent:Auth:JwtKeyFile"),
            (string.IsNullOrWhiteSpace(auth.TokensFile) ? Path.Combine(options.Value.StateDir, "tokens") : null, "the tokens file"));
        TrustedPaths.Require("another user could swap the credentials the agent sends to the registry", [.. options.Value.Registries.SelectMany(r =>
            new (string?, string)[] { (r.UsernameFile, $"Agent:Registries {r.Server} usernameFile"), (r.PasswordFile, $"Agent:Registries {r.Server} passwordFile") })]);
        if (!string.IsNullOrWhiteSpace(auth.TokensFile))
        {
            FilePath = auth.TokensFile;
            tokens.AddRange(Parse(auth.TokensFile, Lines(auth.TokensFile, "Agent:Auth:TokensFile"), out var error));
            if (error is not null) throw new InvalidOperationException(error); // the admin's own file: refuse to guess
        }
        else
        {
            // The generated file is state: when it is empty or damaged, it is moved aside and a new admin token made.
            var file = Path.Combine(options.Value.StateDir, "tokens");
            FilePath = file;
            if (File.Exists(file))
            {
                var parsed = Parse(file, Lines(file, "the tokens file"), out var error);
                if (error is null && parsed.Count == 0) error = "it holds no token";
                if (error is null) tokens.AddRange(parsed);
                else StateFile.MoveAside(file, error, logger);
            }
            if (tokens.Count == 0)
            {
                var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
                StateFile.Write(file, $"# role:token, one per line (viewer, operator, admin)\nadmin:{token}\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
                tokens.Add((SHA256.HashData(Encoding.UTF8.GetBytes(token)), new Credential(Roles.Admin, TokenScope.Unrestricted)));
                logger.LogWarning("No Agent:Auth:TokensFile configured: generated an admin token in {File}", file);
            }
        }
        if (!string.IsNullOrWhiteSpace(auth.JwtKeyFile)) jwtKey = Bytes(auth.JwtKeyFile, "Agent:Auth:JwtKeyFile").AsSpan().Trim((byte)'\n').ToArray();
    }

    private const int MaxFileBytes = 1024 * 1024;

    /// <summary>A credential file of the agent's own, read without hanging on a FIFO or a hung mount (probe-13d D5).</summary>
    private static byte[] Bytes(string file, string setting)
    {
        try
        {
            var bytes = Agent.Engine.SecretFileReader.Read(file, MaxFileBytes);
            return bytes.Length <= MaxFileBytes ? bytes : throw new InvalidOperationException($"{setting} {file} is larger than {MaxFileBytes} bytes");
        }
        catch (Agent.Engine.SecretFileException e)
        {
            throw new InvalidOperationException($"{setting} {file} {e.Message}");
        }
    }

    private static string[] Lines(string file, string setting) =>
        Encoding.UTF8.GetString(Bytes(file, setting)).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>Lines "role:token", optionally followed by scopes: "operator:TOKEN phases=application groups=web,db".</summary>
    private static List<(byte[] Digest, Credential Credential)> Parse(string file, string[] lines, out string? error)
    {
        var parsed = new List<(byte[] Digest, Credential Credential)>();
        error = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (TokenLine.Parse(lines[i]) is not { } line) continue;
            var (role, token, scopes) = line;
            if (Roles.Rank(role) < 0 || token.Length < 16)
            {
                error = $"{file}:{i + 1}: expected role:token with a role of {string.Join(", ", Roles.All)} and a token of at least 16 characters";
                return [];
            }
            var scope = TokenScope.Parse(scopes, out var scopeError);
            if (scopeError is not null)
            {
                error = $"{file}:{i + 1}: {scopeError}";
                return [];
            }
            parsed.Add((SHA256.HashData(Encoding.UTF8.GetBytes(token)), new Credential(role, scope)));
        }
        return parsed;
    }

    /// <summary>Where the tokens are: Agent:Auth:TokensFile, or the one generated in the state dir.</summary>
    public string FilePath { get; } = "";

    /// <summary>The role and scope of a presented token, or null. Every stored token is compared, so timing tells nothing.</summary>
    public Credential? Find(string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        Credential? found = null;
        foreach (var (stored, credential) in tokens)
            if (CryptographicOperations.FixedTimeEquals(stored, digest)) found ??= credential;
        if (found is null && jwtKey is not null && presented.Count(c => c == '.') == 2) found = Jwt.Validate(presented, jwtKey, maxLifetime: maxJwtLifetime);
        return found;
    }
}

/// <summary>What a token grants: a role, and the scope its actions are limited to.</summary>
public sealed record Credential(string Role, TokenScope Scope);

/// <summary>One line of a tokens file, "role:token" and optional scopes ("operator:TOKEN groups=web"), as the server and
/// the CLI read it; null for a blank or comment line.</summary>
public sealed record TokenLine(string Role, string Token, IReadOnlyList<string> Scopes)
{
    public static TokenLine? Parse(string text)
    {
        var line = text.Trim();
        if (line.Length == 0 || line.StartsWith('#')) return null;
        var colon = line.IndexOf(':');
        var words = colon > 0 ? line[(colon + 1)..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
        return new TokenLine(colon > 0 ? line[..colon].Trim() : "", words.FirstOrDefault() ?? "", words.Skip(1).ToList());
    }
}
