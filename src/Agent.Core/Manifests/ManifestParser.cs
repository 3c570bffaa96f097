using System.Text;
using System.Text.RegularExpressions;
using Agent.Core.Model;
using Agent.Core.Security;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>
/// Parses one manifest file into documents. Each document (between `---` markers) is parsed on its own,
/// so broken YAML in one never affects another.
/// </summary>
public static partial class ManifestParser
{
    public const string ApiVersion = "agent/v1";
    public static readonly string[] Kinds = [ServiceGroup.KindName, ServiceGroup.ComposeKindName, CronJob.KindName, Job.KindName, GitRepository.KindName];

    [GeneratedRegex(@"^---(\s.*)?$")]
    private static partial Regex DocumentMarker();

    /// <summary>Parses a file's bytes: UTF-8 (a BOM is skipped), anything else is an error at the first bad byte.</summary>
    public static IReadOnlyList<ManifestDocument> ParseFile(string file, byte[] content, IManifestFiles files, SecurityPolicy policy, ManifestLimits? limits = null)
    {
        var decoded = ManifestText.Decode(content);
        if (decoded.Error is { } error) return [FileError(file, error.Line, error.Column, error.Message)];
        return ParseFile(file, decoded.Text!, files, policy, limits);
    }

    /// <summary>Parses a file's text. Never throws: whatever the input, the result is documents or errors with a location.</summary>
    public static IReadOnlyList<ManifestDocument> ParseFile(string file, string text, IManifestFiles files, SecurityPolicy policy, ManifestLimits? limits = null)
    {
        limits ??= ManifestLimits.Default;
        try
        {
            if (ManifestText.FindNul(text) is { } nul) return [FileError(file, nul.Line, nul.Column, "NUL byte (0x00) in the file: manifests must be UTF-8 text")];
            var chunks = SplitDocuments(text).ToList();
            if (chunks.Count > limits.MaxDocuments)
                return [FileError(file, chunks[limits.MaxDocuments].FirstLine + 1, 1, $"more than {limits.MaxDocuments} documents in one file (Agent:Limits:MaxDocuments)")];
            var manifestDir = Path.GetDirectoryName(Path.Combine(files.Root, file)) ?? files.Root;
            var budget = new LoadBudget(limits);
            var documents = new List<ManifestDocument>();
            foreach (var (chunk, firstLine) in chunks)
            {
                var document = ParseDocument(file, chunk, firstLine, manifestDir, files, policy, budget, out var spent);
                if (document is not null) documents.Add(document);
                if (spent) break; // the file's alias budget is gone: every later document would fail the same way
            }
            return documents;
        }
        catch (Exception e)
        {
            // A bug of ours or YamlDotNet's on odd input must cost this file, never the agent (and every other group).
            return [FileError(file, 1, 1, $"the loader failed on this file ({e.GetType().Name}: {e.Message}); please report it with the file")];
        }
    }

    private static ManifestDocument FileError(string file, int line, int column, string message) =>
        new(new SourceLocation(file, line, column), null, null, [new ManifestError(file, line, column, "", message)]);

    private static IEnumerable<(string Text, int FirstLine)> SplitDocuments(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var current = new StringBuilder();
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (DocumentMarker().IsMatch(lines[i]))
            {
                yield return (current.ToString(), start);
                current.Clear();
                start = i;
                current.Append('\n'); // keep line numbers: the marker line becomes an empty line
                continue;
            }
            current.Append(lines[i]).Append('\n');
        }
        yield return (current.ToString(), start);
    }

    private static ManifestDocument? ParseDocument(string file, string chunk, int lineOffset, string manifestDir, IManifestFiles files, SecurityPolicy policy,
        LoadBudget budget, out bool spent)
    {
        spent = false;
        if (chunk.Split('\n').All(l => l.Trim().Length == 0 || l.TrimStart().StartsWith('#'))) return null;
        var context = new ParseContext(file, lineOffset) { Policy = policy };
        YamlNode root;
        var parser = new BoundedYamlParser(new Parser(new StringReader(chunk)), budget);
        try
        {
            var stream = new YamlStream();
            stream.Load(parser);
            if (stream.Documents.Count == 0) return null;
            root = stream.Documents[0].RootNode;
        }
        catch (ManifestLimitException e)
        {
            spent = budget.IsSpent;
            context.Error(e.Mark, "", e.Message);
            return new ManifestDocument(new SourceLocation(file, (int)e.Mark.Line + lineOffset, (int)e.Mark.Column), null, null, context.Errors) { Context = context };
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            // The parser's reason, where it stopped or at the bracket still open there; never just the document's start.
            var (at, message) = YamlSyntaxError.Describe(e, parser, chunk);
            context.Error(at, "", message);
            return new ManifestDocument(new SourceLocation(file, (int)at.Line + lineOffset, (int)at.Column), null, null, context.Errors) { Context = context };
        }

        var location = new SourceLocation(file, (int)root.Start.Line + lineOffset, (int)root.Start.Column);
        var top = new YamlCursor(root, "", context);
        var foreign = root is not YamlMappingNode mapping
                      || !(mapping.Children.TryGetValue(new YamlScalarNode("apiVersion"), out var apiNode) && apiNode is YamlScalarNode { Value: { } apiValue }
                           && apiValue.StartsWith("agent/", StringComparison.Ordinal));
        if (!IsRecognised(root))
        {
            Unrecognised(root, context);
            return new ManifestDocument(location, null, null, context.Errors) { Context = context, IsForeign = foreign };
        }
        var fields = top.Mapping("apiVersion", "kind", "metadata", "spec");
        if (fields is null) return new ManifestDocument(location, null, null, context.Errors) { Context = context, IsForeign = foreign };

        if (!fields.TryGetValue("apiVersion", out var api)) top.Error($"missing required field \"apiVersion\" (use {ApiVersion})");
        else if (api.Scalar() is { } version && version != ApiVersion) api.Error($"unknown apiVersion {YamlCursor.Quote(version)} (use {ApiVersion})");

        string? kind = null;
        if (!fields.TryGetValue("kind", out var kindCursor)) top.Error($"missing required field \"kind\" ({string.Join(", ", Kinds)})");
        else if ((kind = kindCursor.Scalar()) is not null && !Kinds.Contains(kind))
        {
            kindCursor.Error($"unknown kind {YamlCursor.Quote(kind)} (known: {string.Join(", ", Kinds)})");
            kind = null;
        }

        ObjectMetadata? metadata = null;
        string? parseName = null;
        if (!fields.TryGetValue("metadata", out var meta)) top.Error("missing required field \"metadata\"");
        else metadata = ReadMetadata(meta, out parseName);
        // A document whose name is missing or invalid is still read to the end under a stand-in name: its other errors
        // (spec, security) are reported in the same pass, never only after the name is fixed.
        var named = metadata ?? new ObjectMetadata(parseName ?? "unnamed", new SortedDictionary<string, string>(StringComparer.Ordinal),
            new SortedDictionary<string, string>(StringComparer.Ordinal));

        ObjectKey? key = kind is not null && metadata is not null ? new ObjectKey(kind, metadata.Name) : null;
        IManifestObject? result = null;
        IReadOnlyList<string> referenced = [];
        IReadOnlyDictionary<string, string>? hostSelector = null;
        if (fields.TryGetValue("spec", out var placed) && kind == GitRepository.KindName) Placement.RefuseOnRepository(placed);
        else if (placed is not null) hostSelector = Placement.Extract(placed);
        if (!fields.TryGetValue("spec", out var spec)) top.Error("missing required field \"spec\"");
        else if (kind == ServiceGroup.KindName)
        {
            var groupSpec = ServiceGroupParser.Parse(spec, named.Name, manifestDir, files);
            if (groupSpec is not null)
            {
                var group = new ServiceGroup(named, groupSpec, location);
                Admit(group, policy, context, files);
                result = group;
            }
        }
        else if (kind == CronJob.KindName)
        {
            var cronSpec = JobParser.ParseCronJob(spec, named.Name, manifestDir, files);
            if (cronSpec is not null)
            {
                JobParser.Admit(cronSpec.JobTemplate, "spec.jobTemplate", policy, context, new AdmissionContext(files.ResolveLinks, _ => false) { ManifestsRoot = files.Root });
                result = new CronJob(named, cronSpec, location);
            }
        }
        else if (kind == Job.KindName)
        {
            var template = JobParser.ParseTemplate(spec, named.Name, manifestDir, files);
            if (template is not null)
            {
                JobParser.Admit(template, "spec", policy, context, new AdmissionContext(files.ResolveLinks, _ => false) { ManifestsRoot = files.Root });
                result = new Job(named, template, location);
            }
        }
        else if (kind == GitRepository.KindName)
        {
            if (GitRepositoryParser.Parse(spec, files.ResolveLinks) is { } gitSpec) result = new GitRepository(named, gitSpec, location);
        }
        else if (kind == ServiceGroup.ComposeKindName)
        {
            result = ComposeProjectParser.Parse(spec, named, location, manifestDir, files, policy, out var read);
            referenced = ComposeProjectParser.ReferencedFiles(spec, manifestDir, files.Root).Concat(read).Distinct(StringComparer.Ordinal).ToList();
        }
        return new ManifestDocument(location, key, context.Errors.Count == 0 ? result : null, context.Errors)
        {
            Context = context,
            ComposeFiles = referenced,
            HostSelector = hostSelector,
            IsForeign = foreign,
        };
    }

    private static readonly string[] TopFields = ["apiVersion", "kind", "metadata", "spec"];

    /// <summary>A document is read as a manifest once it says it is one: a mapping whose apiVersion is agent/... or whose
    /// kind is one of <see cref="Kinds"/>. Anything else may be a stray secret (a password, a key, a copy of a tokens file).</summary>
    private static bool IsRecognised(YamlNode root) =>
        root is YamlMappingNode map
        && ((map.Children.TryGetValue(new YamlScalarNode("apiVersion"), out var api) && api is YamlScalarNode { Value: { } a } && a.StartsWith("agent/", StringComparison.Ordinal))
            || (map.Children.TryGetValue(new YamlScalarNode("kind"), out var kind) && kind is YamlScalarNode { Value: { } k } && Kinds.Contains(k)));

    /// <summary>The errors of a document that is not recognised as a manifest (<see cref="IsRecognised"/>): what it is and
    /// which top-level fields are wrong or missing, never any of its text (probe-16 F12). Its metadata and spec are not read.</summary>
    private static void Unrecognised(YamlNode root, ParseContext context)
    {
        if (root is not YamlMappingNode map)
        {
            context.Error(root.Start, "", $"expected a mapping with {string.Join(", ", TopFields)}, got {YamlCursor.Shape(root)}");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || key.Contains('\0'))
            {
                context.Error(keyNode.Start, "", "keys must be plain strings without NUL characters");
                continue;
            }
            if (!TopFields.Contains(key, StringComparer.Ordinal))
            {
                // A near miss of a field name is named (it helps, and is within a few letters of a known word); any other key is not.
                context.Error(keyNode.Start, "", YamlCursor.Suggest(key, TopFields) is { } hint
                    ? $"unknown field {YamlCursor.Quote(key)} (did you mean \"{hint}\"?)"
                    : $"unknown field of {key.Length} character{(key.Length == 1 ? "" : "s")} (not shown: a document that is not a manifest is never quoted; known: {string.Join(", ", TopFields)})");
                continue;
            }
            seen.Add(key);
            if (key == "apiVersion") context.Error(value.Start, key, $"unknown apiVersion: {YamlCursor.Shape(value)} (use {ApiVersion})");
            else if (key == "kind") context.Error(value.Start, key, $"unknown kind: {YamlCursor.Shape(value)} (known: {string.Join(", ", Kinds)})");
        }
        if (!seen.Contains("apiVersion")) context.Error(root.Start, "", $"missing required field \"apiVersion\" (use {ApiVersion})");
        if (!seen.Contains("kind")) context.Error(root.Start, "", $"missing required field \"kind\" ({string.Join(", ", Kinds)})");
    }

    /// <param name="parseName">The name as written, valid or not, to read the rest of the document under.</param>
    private static ObjectMetadata? ReadMetadata(YamlCursor cursor, out string? parseName)
    {
        parseName = null;
        var f = cursor.Mapping("name", "labels", "annotations");
        if (f is null) return null;
        string? name = null;
        if (!f.TryGetValue("name", out var n)) cursor.Error("missing required field \"name\"");
        else if ((name = parseName = n.String()) is not null && !ServiceParser.DnsLabel().IsMatch(name))
        {
            n.Error($"{YamlCursor.Quote(name)} is not a valid name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63)");
            name = null;
        }
        var labels = f.TryGetValue("labels", out var l) ? l.StringMap() : null;
        var annotations = f.TryGetValue("annotations", out var a) ? a.StringMap() : null;
        return name is null ? null : new ObjectMetadata(name,
            labels ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
            annotations ?? new SortedDictionary<string, string>(StringComparer.Ordinal));
    }

    private static void Admit(ServiceGroup group, SecurityPolicy policy, ParseContext context, IManifestFiles files)
    {
        var ownContainers = group.Spec.Services
            .SelectMany(s => Enumerable.Range(1, Math.Max(1, s.Replicas)).Select(i => s.ReplicaName(group.Metadata.Name, i)))
            .ToHashSet(StringComparer.Ordinal);
        var admission = new AdmissionContext(files.ResolveLinks, name => ownContainers.Contains(name)) { ManifestsRoot = files.Root, OwnBindRoots = files.OwnBindRoots() };
        for (var i = 0; i < group.Spec.Services.Count; i++)
        {
            var violations = policy.Check(group.Spec.Services[i].Container, admission).ToList();
            foreach (var violation in violations.Where(v => !HasError(context, $"spec.services[{i}].{v.Field}")
                         && !(v.Field == "image" && group.Spec.Services[i].Container.Image.Length == 0)))
                context.Errors.Add(context.ErrorAt($"spec.services[{i}].{violation.Field}", violation.Message));
            CheckBindSources(group.Spec.Services[i].Container, i, violations.Select(v => v.Field).ToHashSet(StringComparer.Ordinal), context, files);
        }
        foreach (var (name, volume) in group.Spec.Volumes)
            foreach (var violation in policy.CheckVolume(volume))
                context.Errors.Add(context.ErrorAt($"spec.volumes.{name}.{violation.Field}", violation.Message));
    }

    /// <summary>A field that already has an error (on it, an item of it, or a field it is part of) was read at its default:
    /// judging it again would report the default, not what the user wrote.</summary>
    internal static bool HasError(ParseContext context, string path) =>
        context.Errors.Any(e => e.Path.Length > 0 && (e.Path == path || e.Path.StartsWith(path + ".", StringComparison.Ordinal)
            || e.Path.StartsWith(path + "[", StringComparison.Ordinal) || (path.StartsWith(e.Path, StringComparison.Ordinal) && path.Length > e.Path.Length
                && path[e.Path.Length] is '.' or '[' && !e.Message.StartsWith("missing required field", StringComparison.Ordinal))));

    /// <summary>A bind source must exist, except a relative one inside the manifests folder, which is created like Compose
    /// does. Judged after the policy, so that a refused path is reported as refused, not as missing.</summary>
    private static void CheckBindSources(ContainerSpec spec, int service, IReadOnlySet<string> refused, ParseContext context, IManifestFiles files)
    {
        var index = 0;
        foreach (var mount in spec.Mounts.Where(m => m.Type != MountType.Tmpfs))
        {
            var field = $"volumes[{index++}]";
            if (mount is not { Type: MountType.Bind, CreateSource: false, Source: { } source } || refused.Contains(field) || files.Exists(source)
                || HasError(context, $"spec.services[{service}].{field}")) continue;
            context.Errors.Add(context.ErrorAt($"spec.services[{service}].{field}",
                $"the bind source {source} does not exist (only relative binds inside the manifests folder are created)"));
        }
    }
}
