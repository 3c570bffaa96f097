using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Agent.Auth;

/// <summary>HS256 JWTs with a "role" claim: signature checked in constant time; exp required and at most
/// <c>maxLifetime</c> after iat (or after now, without iat); nbf honoured; a claim or header field given twice refused;
/// a "crit" header refused (no JWS extension is understood).</summary>
public static class Jwt
{
    public static readonly TimeSpan DefaultMaxLifetime = TimeSpan.FromHours(24);

    public static string? ValidateRole(string token, byte[] key, DateTimeOffset? now = null, TimeSpan? maxLifetime = null) =>
        Validate(token, key, now, maxLifetime)?.Role;

    /// <summary>The role and scope of a valid JWT: "phases" and "groups" claims (a list of strings, or one comma-separated
    /// string) restrict it like a tokens-file scope; an invalid scope claim invalidates the token.</summary>
    public static Credential? Validate(string token, byte[] key, DateTimeOffset? now = null, TimeSpan? maxLifetime = null)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            using var header = JsonDocument.Parse(Decode(parts[0]));
            if (Ambiguous(header.RootElement) || header.RootElement.GetProperty("alg").GetString() != "HS256") return null;
            // RFC 7515 4.1.11: a "crit" header lists extensions the recipient must understand or refuse the token;
            // the agent understands none, so any crit (even an empty or malformed one) refuses it.
            if (header.RootElement.TryGetProperty("crit", out _)) return null;
            var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Decode(parts[2]))) return null;
            using var payload = JsonDocument.Parse(Decode(parts[1]));
            if (Ambiguous(payload.RootElement)) return null;
            var time = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
            if (!payload.RootElement.TryGetProperty("exp", out var exp) || exp.GetInt64() <= time) return null;
            if (payload.RootElement.TryGetProperty("iat", out var iat) && iat.GetInt64() >= exp.GetInt64()) return null; // expires before it was issued
            var issued = iat.ValueKind == JsonValueKind.Number ? Math.Min(iat.GetInt64(), time) : time;
            if (exp.GetInt64() - issued > (long)(maxLifetime ?? DefaultMaxLifetime).TotalSeconds) return null;
            if (payload.RootElement.TryGetProperty("nbf", out var nbf) && nbf.GetInt64() > time) return null;
            var role = payload.RootElement.TryGetProperty("role", out var r) ? r.GetString() : null;
            if (role is null || Roles.Rank(role) < 0) return null;
            // A scope claim spelt otherwise (Groups, group, PHASES) would read as no scope at all: an issuer's slip must
            // never widen a token (probe-63 M1), so such a token is refused, as the tokens file refuses group=.
            if (payload.RootElement.EnumerateObject().Any(c => c.Name is not ("phases" or "groups") && LooksLikeScope(c.Name))) return null;
            var settings = new List<string>();
            foreach (var name in new[] { "phases", "groups" })
                if (payload.RootElement.TryGetProperty(name, out var claim))
                    settings.Add($"{name}=" + (claim.ValueKind == JsonValueKind.Array ? string.Join(",", claim.EnumerateArray().Select(v => v.GetString())) : claim.GetString()));
            var scope = TokenScope.Parse(settings, out var scopeError);
            return scopeError is null ? new Credential(role, scope) : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A claim name that reads as phases or groups to a person: in another case, with spaces, invisible or
    /// compatibility characters (NFKC: a fullwidth ｇ, a long ſ), or within two edits (group, groupz, grps, phasez).</summary>
    private static bool LooksLikeScope(string name)
    {
        var plain = new string(name.Normalize(System.Text.NormalizationForm.FormKC)
            .Where(ch => !char.IsWhiteSpace(ch) && !char.IsControl(ch) && char.GetUnicodeCategory(ch) != System.Globalization.UnicodeCategory.Format)
            .ToArray()).ToLowerInvariant();
        return plain.Length >= 4 && (Edits(plain, "groups") <= 2 || Edits(plain, "phases") <= 2);
    }

    /// <summary>Levenshtein distance, stopping early: names are short.</summary>
    private static int Edits(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 2) return 3;
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    /// <summary>Not an object, or a name given twice (also in another case): which value counts depends on the reader
    /// (System.Text.Json takes the last, other validators the first), so such a token is refused, as are such API bodies.</summary>
    private static bool Ambiguous(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return true;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return root.EnumerateObject().Any(p => !names.Add(p.Name));
    }

    public static string Create(string role, byte[] key, DateTimeOffset expires)
    {
        var header = Encode(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(new JwtPayload(role, expires.ToUnixTimeSeconds()), Http.AgentJsonContext.Default.JwtPayload));
        return Sign(header, payload, key);
    }

    /// <summary>A token with the given claims as JSON (tests, and tools that need iat or no exp).</summary>
    public static string CreateWithPayload(string payloadJson, byte[] key) =>
        Sign(Encode(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")), Encode(Encoding.UTF8.GetBytes(payloadJson)), key);

    private static string Sign(string header, string payload, byte[] key)
    {
        var signature = Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    private static byte[] Decode(string part)
    {
        var s = part.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The claims of a token the agent issues (the JSON names of the anonymous type used before).</summary>
public sealed record JwtPayload(
    [property: System.Text.Json.Serialization.JsonPropertyName("role")] string Role,
    [property: System.Text.Json.Serialization.JsonPropertyName("exp")] long Exp);
