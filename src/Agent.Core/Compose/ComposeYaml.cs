using Agent.Core.Manifests;
using Agent.Core.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Compose;

/// <summary>Stage 1, parse: YAML text into a <see cref="ComposeNode"/> tree. Anchors and aliases are resolved,
/// merge keys (<c>&lt;&lt;: *base</c>, or a list of them) are applied with the mapping's own keys winning.</summary>
public static class ComposeYaml
{
    private const int MaxNodes = 200_000; // an alias bomb expands into far more: refuse it instead of allocating it

    public static ComposeNode? Parse(string file, string text, List<ManifestError> errors)
    {
        YamlNode root;
        // Bounded: the representation model recurses per level, so depth and aliases are checked on the events first.
        var parser = new BoundedYamlParser(new Parser(new StringReader(text.TrimStart('\uFEFF'))), new LoadBudget(ManifestLimits.Default));
        try
        {
            var stream = new YamlStream();
            stream.Load(parser);
            if (stream.Documents.Count == 0) return new ComposeMapping([], new SourceLocation(file, 1, 1));
            if (stream.Documents.Count > 1)
            {
                errors.Add(new ManifestError(file, (int)stream.Documents[1].RootNode.Start.Line, 1, "", "a compose file holds one YAML document"));
                return null;
            }
            root = stream.Documents[0].RootNode;
        }
        catch (ManifestLimitException e)
        {
            errors.Add(new ManifestError(file, (int)e.Mark.Line, (int)e.Mark.Column, "", e.Message));
            return null;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            var (at, message) = YamlSyntaxError.Describe(e, parser, text.TrimStart('\uFEFF'));
            errors.Add(new ManifestError(file, (int)at.Line, (int)at.Column, "", message));
            return null;
        }
        var budget = MaxNodes;
        try
        {
            return Convert(file, root, errors, ref budget, 0);
        }
        catch (InsufficientExecutionStackException)
        {
            errors.Add(new ManifestError(file, 1, 1, "", "the file is nested too deeply"));
            return null;
        }
    }

    private static ComposeNode? Convert(string file, YamlNode node, List<ManifestError> errors, ref int budget, int depth)
    {
        if (--budget < 0 || depth > 200)
        {
            if (budget == -1 || depth == 201)
                errors.Add(new ManifestError(file, (int)node.Start.Line, (int)node.Start.Column, "", "the file expands to too many nodes (aliases) or nests too deeply"));
            return null;
        }
        var at = new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlScalarNode s:
                var isNull = s.Style == ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";
                return new ComposeScalar(isNull ? null : s.Value, s.Style != ScalarStyle.Plain, at);
            case YamlSequenceNode seq:
            {
                var items = new List<ComposeNode>();
                foreach (var child in seq.Children)
                    if (Convert(file, child, errors, ref budget, depth + 1) is { } c) items.Add(c);
                return new ComposeSequence(items, at);
            }
            case YamlMappingNode map:
            {
                var own = new List<ComposeEntry>();
                var merged = new List<ComposeEntry>();
                foreach (var (keyNode, valueNode) in map.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        errors.Add(new ManifestError(file, (int)keyNode.Start.Line, (int)keyNode.Start.Column, "", "keys must be plain strings"));
                        continue;
                    }
                    var keyAt = new SourceLocation(file, (int)keyNode.Start.Line, (int)keyNode.Start.Column);
                    var value = Convert(file, valueNode, errors, ref budget, depth + 1);
                    if (value is null) continue;
                    if (key == "<<" && ((YamlScalarNode)keyNode).Style == ScalarStyle.Plain)
                    {
                        // Earlier sources win among merged maps; the mapping's own keys win over all of them.
                        var sources = value is ComposeSequence list ? list.Items : [value];
                        foreach (var source in sources)
                        {
                            if (source is not ComposeMapping m)
                            {
                                errors.Add(new ManifestError(file, source.At.Line, source.At.Column, "<<", "a merge key takes a mapping or a list of mappings"));
                                continue;
                            }
                            foreach (var e in m.Entries)
                                if (merged.All(x => x.Key != e.Key)) merged.Add(e);
                        }
                        continue;
                    }
                    if (own.Any(e => e.Key == key))
                    {
                        errors.Add(new ManifestError(file, keyAt.Line, keyAt.Column, key, $"duplicate key {YamlCursor.Quote(key)}"));
                        continue;
                    }
                    own.Add(new ComposeEntry(key, keyAt, value));
                }
                own.AddRange(merged.Where(m => own.All(o => o.Key != m.Key)));
                return new ComposeMapping(own, at);
            }
            default:
                errors.Add(new ManifestError(file, at.Line, at.Column, "", "unresolved alias"));
                return null;
        }
    }
}
