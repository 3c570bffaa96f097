using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Agent.Auth;

/// <summary>HS256 JWTs with a "role" claim: signature checked in constant time, exp and nbf honoured.</summary>
public static class Jwt
{
    public static string? ValidateRole(string token, byte[] key, DateTimeOffset? now = null)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            using var header = JsonDocument.Parse(Decode(parts[0]));
            if (header.RootElement.GetProperty("alg").GetString() != "HS256") return null;
            var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Decode(parts[2]))) return null;
            using var payload = JsonDocument.Parse(Decode(parts[1]));
            var time = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
            if (payload.RootElement.TryGetProperty("exp", out var exp) && exp.GetInt64() <= time) return null;
            if (payload.RootElement.TryGetProperty("nbf", out var nbf) && nbf.GetInt64() > time) return null;
            var role = payload.RootElement.TryGetProperty("role", out var r) ? r.GetString() : null;
            return role is not null && Roles.Rank(role) >= 0 ? role : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public static string Create(string role, byte[] key, DateTimeOffset expires)
    {
        var header = Encode(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(new { role, exp = expires.ToUnixTimeSeconds() }));
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
