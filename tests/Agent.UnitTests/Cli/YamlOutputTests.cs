using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Cli;
using YamlDotNet.Serialization;

namespace Agent.UnitTests.Cli;

/// <summary>The CLI's YAML (agent render, -o yaml) written through the emitter is byte for byte what YamlDotNet's
/// reflection serializer wrote for the same values (which does not work under Native AOT).</summary>
public sealed class YamlOutputTests
{
    private const string Json = """
        {"kind":"ServiceGroup","name":"web","n":5,"neg":-3,"big":12345678901234,"f":0.5,"e":1e20,"t":true,"no":false,"nul":null,
         "empty":"","space":" x","lead":"-x","colon":"a: b","hash":"a #b","quote":"it's","dq":"say \"hi\"","nl":"a\nb","tab":"a\tb",
         "num":"80","float":"1.5","bool":"true","null":"null","tilde":"~","oct":"0o17","hex":"0x1F","inf":".inf","star":"*a","amp":"&a",
         "bang":"!x","pct":"%x","at":"@x","tick":"`x","brace":"{a}","bracket":"[a]","comma":"a,b","q":"?x","pipe":"|x","gt":">x",
         "uni":"é ü 日本","long":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbb",
         "list":[1,"a",null,[],{},[1,[2]],{"k":"v","n":{"m":[]}}],"emptyList":[],"emptyMap":{},"80":"port","true":1,
         "labels":{"com.docker.compose.project":"p","a b":"c","":"x"}}
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Yaml_equals_the_reflection_serializers(bool quote)
    {
        var node = JsonNode.Parse(Json);
        var builder = new SerializerBuilder();
        var reference = (quote ? builder.WithQuotingNecessaryStrings() : builder).Build().Serialize(Plain(JsonDocument.Parse(Json).RootElement));
        Assert.Equal(reference, YamlOutput.Write(node, quote));
    }

    private static object? Plain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
