using System.Globalization;
using System.Text.Json.Nodes;
using Agent.Core.Compose;
using Agent.Core.Manifests;

namespace Agent.UnitTests.Compose;

/// <summary>A compose file as the compose-spec JSON schema sees it: parsed by the agent's own stage 1 (anchors and
/// merge keys resolved), plain scalars typed as YAML 1.2 core schema.</summary>
internal static class ComposeJson
{
    public static JsonNode Of(string path)
    {
        var errors = new List<ManifestError>();
        var node = ComposeYaml.Parse(path, File.ReadAllText(path), errors);
        Assert.Empty(errors);
        return Convert(node!)!;
    }

    private static JsonNode? Convert(ComposeNode node) => node switch
    {
        ComposeMapping m => new JsonObject(m.Entries.Select(e => KeyValuePair.Create(e.Key, Convert(e.Value)))),
        ComposeSequence s => new JsonArray(s.Items.Select(Convert).ToArray()),
        ComposeScalar { Value: null } => null,
        ComposeScalar { Quoted: true } s => JsonValue.Create(s.Value),
        ComposeScalar s => Plain(s.Value!),
        _ => null,
    };

    private static JsonNode? Plain(string v)
    {
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
