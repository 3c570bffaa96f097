using System.Text.Json;

namespace Agent.Engine;

/// <summary>
/// Object keys as Go's encoding/json (the engine's decoder) matches them to a struct field: exactly or else
/// case-insensitively with Unicode simple folding (so <c>labelſ</c>, with U+017F, is <c>Labels</c> and U+212A KELVIN SIGN
/// is <c>k</c>), every occurrence applied in order (the last string wins, objects and maps merge).
/// </summary>
public static class GoJsonKeys
{
    /// <summary>The values of every key of <paramref name="element"/> that the decoder would store in field <paramref name="field"/>, in order.</summary>
    public static IEnumerable<JsonElement> Values(JsonElement element, string field) =>
        element.ValueKind != JsonValueKind.Object ? [] : element.EnumerateObject().Where(p => Matches(p.Name, field)).Select(p => p.Value);

    /// <summary>For an ASCII field name: ASCII letters in any case, and the two non-ASCII letters whose simple case
    /// folding reaches an ASCII one (U+017F is s, U+212A is k).</summary>
    public static bool Matches(string key, string field)
    {
        if (key.Length != field.Length) return false;
        for (var i = 0; i < key.Length; i++)
        {
            var a = key[i] switch { '\u017F' => 's', '\u212A' => 'k', var c => c };
            if (a != field[i] && (!char.IsAsciiLetter(a) || char.ToLowerInvariant(a) != char.ToLowerInvariant(field[i]))) return false;
        }
        return true;
    }
}
