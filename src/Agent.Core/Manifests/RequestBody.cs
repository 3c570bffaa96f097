using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>
/// The JSON body of an imperative request (POST /run, /containers, /jobs) as a node for the manifest's own parsers:
/// checked as JSON first, so a syntax error names the line, column and field of the body as sent
/// (<see cref="JsonSyntax"/>), then loaded within the manifests' limits (a body is as hostile as a file).
/// </summary>
internal static class RequestBody
{
    public static (YamlNode? Root, ManifestError? Error) Load(string json)
    {
        if (JsonSyntax.Check(json) is { } syntax)
            return (null, new ManifestError("request", syntax.Line, syntax.Column, syntax.Path, syntax.Text));
        try
        {
            var stream = BoundedYamlParser.Load(json);
            return stream.Documents.Count == 1
                ? (stream.Documents[0].RootNode, null)
                : (null, new ManifestError("request", 1, 1, "", "the body must be one JSON object"));
        }
        catch (ManifestLimitException e)
        {
            return (null, new ManifestError("request", (int)e.Mark.Line, (int)e.Mark.Column, "", e.Message));
        }
        catch (YamlException e)
        {
            // JSON that YAML does not read alike (a tab where YAML takes none): the scanner's own position.
            var message = e.InnerException?.Message ?? e.Message;
            return (null, new ManifestError("request", (int)e.Start.Line, (int)e.Start.Column, "",
                message.StartsWith("Duplicate key ", StringComparison.Ordinal) ? $"duplicate field \"{message[14..]}\"" : $"invalid JSON: {message}"));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return (null, new ManifestError("request", 1, 1, "", "invalid JSON"));
        }
    }
}
