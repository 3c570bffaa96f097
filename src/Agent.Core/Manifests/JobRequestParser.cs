using Agent.Core.Model;
using Agent.Core.Security;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>An imperative Job: a name and the fields of a Job manifest's spec.</summary>
public sealed record JobRequest(string Name, JobTemplate Template);

/// <summary>
/// Parses the body of POST /api/v1/jobs with the manifest's own job parser (JSON is YAML): the same fields as a Job's
/// spec plus an optional name, as strictly. The container then passes the same security admission as manifests;
/// <see cref="Violations"/> tells a refusal by policy apart from a malformed body.
/// </summary>
public static class JobRequestParser
{
    public sealed record Result(JobRequest? Request, IReadOnlyList<ManifestError> Errors, bool Violations);

    public static Result Parse(string json, IManifestFiles files, SecurityPolicy policy, AdmissionContext admission)
    {
        var context = new ParseContext("request") { Policy = policy, HasFolder = false };
        var (root, error) = RequestBody.Load(json);
        if (root is null) return Refused(error!);

        var top = new YamlCursor(root, "", context);
        var name = "job";
        if (root is YamlMappingNode map)
        {
            if (map.Children.TryGetValue(new YamlScalarNode("name"), out var n) && new YamlCursor(n, "name", context).String() is { } given)
            {
                if (!ServiceParser.DnsLabel().IsMatch(given) || given.Length > 40)
                    context.Error(n.Start, "name", $"{YamlCursor.Quote(given)} is not a valid job name (lowercase letters, digits and '-', at most 40)");
                else name = given;
            }
            if (map.Children.TryGetValue(new YamlScalarNode("container"), out var c) && c is YamlMappingNode container
                && container.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == "envFrom") is { } envFrom)
                context.Error(envFrom.Start, "container.envFrom", "envFrom reads files on the agent's host and is only allowed in manifests");
        }
        if (context.Errors.Count > 0) return new Result(null, context.Errors, false);
        var template = JobParser.ParseTemplate(top, name, files.Root, files, "name");
        if (template is null || context.Errors.Count > 0) return new Result(null, context.Errors, false);
        var relative = template.Container.Mounts.Select((m, i) => (m, i))
            .FirstOrDefault(x => RunRequestParser.RelativeBind(x.m, files.Root));
        if (relative.m is not null)
            return Refused(context.ErrorAt($"container.volumes[{relative.i}]", "a job from the API has no manifest folder: bind sources must be absolute host paths"));
        // Published ports without an address bind to loopback: the API opens nothing to the network unless asked to.
        template = template with
        {
            Container = template.Container with { Ports = template.Container.Ports.Select(p => p.HostIp is null ? p with { HostIp = "127.0.0.1" } : p).ToList() },
        };
        JobParser.Admit(template, "", policy, context, admission);
        return context.Errors.Count > 0
            ? new Result(null, context.Errors, true)
            : new Result(new JobRequest(name, template), [], false);
    }

    private static Result Refused(ManifestError error) => new(null, [error], false);
}
