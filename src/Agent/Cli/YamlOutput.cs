using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlScalar = YamlDotNet.Core.Events.Scalar;

namespace Agent.Cli;

/// <summary>
/// JSON as YAML through YamlDotNet's emitter (events, no reflection: works under Native AOT), writing what its
/// reflection serializer wrote for the same dictionaries, lists and scalars: block style, strings plain where YAML
/// allows, and (<paramref name="quoteNecessaryStrings"/>) double-quoted when they would read back as another type.
/// </summary>
public static partial class YamlOutput
{
    private static readonly TagName Null = new("tag:yaml.org,2002:null");
    private static readonly TagName Bool = new("tag:yaml.org,2002:bool");
    private static readonly TagName Int = new("tag:yaml.org,2002:int");
    private static readonly TagName Float = new("tag:yaml.org,2002:float");
    private static readonly TagName Str = new("tag:yaml.org,2002:str");

    public static string Write(JsonNode? node, bool quoteNecessaryStrings)
    {
        var text = new StringWriter();
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(node, emitter, quoteNecessaryStrings);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(JsonNode? node, IEmitter emitter, bool quote)
    {
        switch (node)
        {
            case JsonObject o:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Any));
                foreach (var (key, value) in o)
                {
                    String(key, emitter, quote);
                    Emit(value, emitter, quote);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray a:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Any));
                foreach (var item in a) Emit(item, emitter, quote);
                emitter.Emit(new SequenceEnd());
                break;
            case null:
                emitter.Emit(new YamlScalar(AnchorName.Empty, Null, "", ScalarStyle.Plain, true, false));
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                String(s, emitter, quote);
                break;
            case JsonValue v when v.TryGetValue<bool>(out var b):
                emitter.Emit(new YamlScalar(AnchorName.Empty, Bool, b ? "true" : "false", ScalarStyle.Plain, true, false));
                break;
            case JsonValue v when v.TryGetValue<long>(out var l):
                emitter.Emit(new YamlScalar(AnchorName.Empty, Int, l.ToString(CultureInfo.InvariantCulture), ScalarStyle.Plain, true, false));
                break;
            case JsonValue v when v.TryGetValue<double>(out var d):
                emitter.Emit(new YamlScalar(AnchorName.Empty, Float, Number(d), ScalarStyle.Plain, true, false));
                break;
            default:
                String(node.ToJsonString(), emitter, quote);
                break;
        }
    }

    private static void String(string s, IEmitter emitter, bool quote) =>
        emitter.Emit(new YamlScalar(AnchorName.Empty, Str, s, quote && IsSpecial(s) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, true, false));

    private static string Number(double d) =>
        double.IsNaN(d) ? ".nan" : double.IsPositiveInfinity(d) ? ".inf" : double.IsNegativeInfinity(d) ? "-.inf" : d.ToString("G", CultureInfo.InvariantCulture);

    /// <summary>A string a YAML 1.2 reader would take for null, a boolean or a number (or blank).</summary>
    private static bool IsSpecial(string s) => s.Trim().Length == 0 || SpecialString().IsMatch(s);

    [GeneratedRegex(@"^(null|Null|NULL|\~|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?(\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|\s.*)$")]
    private static partial Regex SpecialString();
}
