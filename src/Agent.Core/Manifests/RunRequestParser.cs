using Agent.Core.Model;
using Agent.Core.Security;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>What to wait for after an imperative run: an HTTP path on a published container port answering 2xx/3xx.</summary>
public sealed record WaitForHttp(string Path, int Port, TimeSpan Timeout);

/// <param name="AutoRemove">The engine removes the container when it exits (docker run --rm).</param>
/// <param name="Network">One of the agent's networks to attach it to (docker run --network), checked by the caller.</param>
public sealed record RunRequest(ServiceSpec Service, WaitForHttp? WaitFor, bool AutoRemove = false, string? Network = null);

/// <summary>
/// Parses the body of an imperative run with the manifest's own service parser (JSON is YAML), so a run says
/// exactly what a manifest service can, as strictly: unknown, duplicate and differently-cased keys are errors.
/// The container then passes the same security admission as manifests.
/// </summary>
public static class RunRequestParser
{
    /// <summary>What a run's own named volume `X` is called on the engine: `run_X`, as a group's `data` is `GROUP_data`.</summary>
    public static readonly string VolumePrefix = ServiceParser.VolumeFullName(RunGroup, "");

    private const string RunGroup = "run";

    /// <param name="generatedName">The service name when the body gives none (docker run without --name).</param>
    /// <summary>A bind written relative (./data, ../m: its WrittenSource) or resolved under the placeholder folder: a request
    /// has no manifest folder, so it is refused as relative, not judged where the placeholder put it (/nonexistent/m).</summary>
    public static bool RelativeBind(MountSpec mount, string root) =>
        mount.Type == MountType.Bind && (mount.WrittenSource is not null || mount.Source!.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal));

    public static (RunRequest? Request, IReadOnlyList<ManifestError> Errors) Parse(string json, IManifestFiles files, SecurityPolicy policy, AdmissionContext admission,
        string? generatedName = null)
    {
        var context = new ParseContext("request") { Policy = policy, HasFolder = false };
        var (root, error) = RequestBody.Load(json);
        if (root is null) return (null, [error!]);

        var top = new YamlCursor(root, "", context);
        var fields = top.Mapping("service", "waitFor", "autoRemove", "network");
        if (fields is null) return (null, context.Errors);
        if (!fields.TryGetValue("service", out var serviceCursor))
        {
            top.Error("missing required field \"service\" (the fields of a manifest service: name, image, command, env, ports, ...)");
            return (null, context.Errors);
        }
        if (serviceCursor.Node is YamlMappingNode map && map.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == "envFrom") is { } envFrom)
        {
            context.Error(envFrom.Start, "service.envFrom", "envFrom reads files on the agent's host and is only allowed in manifests");
            return (null, context.Errors);
        }
        var service = new ServiceParser(RunGroup, files.Root, files) { ContainerNames = true }.Parse(serviceCursor, generatedName);
        WaitForHttp? waitFor = null;
        if (fields.TryGetValue("waitFor", out var w)) waitFor = ReadWaitFor(w);
        var autoRemove = fields.TryGetValue("autoRemove", out var a) && a.Bool() == true;
        string? network = null;
        if (fields.TryGetValue("network", out var n) && (network = n.String()) is not null && Identifiers.Container(network) != IdentifierCheck.Valid)
            n.Error($"{YamlCursor.Quote(network)} is not a network name");
        if (service is null || context.Errors.Count > 0) return (null, context.Errors);
        if (service.Replicas != 1) return (null, [context.ErrorAt("service.replicas", "an imperative run makes one container")]);
        var relative = service.Container.Mounts.Select((m, i) => (m, i)).FirstOrDefault(x => RelativeBind(x.m, files.Root));
        if (relative.m is not null)
            return (null, [context.ErrorAt($"service.volumes[{relative.i}]", "a run has no manifest folder: bind sources must be absolute host paths")]);

        // Published ports without an address bind to loopback: the API opens nothing to the network unless asked to.
        service = service with
        {
            Container = service.Container with
            {
                Ports = service.Container.Ports.Select(p => p.HostIp is null ? p with { HostIp = "127.0.0.1" } : p).ToList(),
            },
        };
        if (waitFor is not null && service.Container.Ports.All(p => p.ContainerPort != waitFor.Port))
            return (null, [context.ErrorAt("waitFor.port", $"port {waitFor.Port} is not published by the service (add \"{waitFor.Port}\" to service.ports)")]);

        var violations = policy.Check(service.Container, admission);
        if (violations.Count > 0)
            return (null, violations.Select(v => context.ErrorAt($"service.{v.Field}", v.Message)).ToList());
        if (network is not null && service.Container.NetworkMode is not null)
            return (null, [context.ErrorAt("network", "give either network or service.networkMode, not both")]);
        var restartGiven = serviceCursor.Node is YamlMappingNode m && m.Children.Keys.OfType<YamlScalarNode>().Any(k => k.Value == "restart");
        if (autoRemove && restartGiven && service.Container.Restart.Mode != RestartMode.No)
            return (null, [context.ErrorAt("autoRemove", "a container that is removed when it exits cannot have a restart policy (leave out service.restart or set it to \"no\")")]);
        // As docker run: no restart unless the request asks for one (a manifest service's default, always, made a
        // one-shot `sh` restart for ever; probe-19 B).
        if (!restartGiven) service = service with { Container = service.Container with { Restart = RestartPolicy.No } };
        // A run's container is named after the service (a group's are GROUP-SERVICE-N, never this short).
        if (Identifiers.EngineNameProblem(service.Name) is { } badName) return (null, [context.ErrorAt("service.name", $"\"{service.Name}\" {badName}")]);
        return (new RunRequest(service, waitFor, autoRemove, network), []);
    }

    private static WaitForHttp? ReadWaitFor(YamlCursor cursor)
    {
        var f = cursor.Mapping("path", "port", "timeout");
        if (f is null) return null;
        var path = f.TryGetValue("path", out var p) ? p.Scalar() ?? "/" : "/";
        if (!path.StartsWith('/')) f["path"].Error("must start with /");
        int? port = null;
        if (!f.TryGetValue("port", out var portCursor)) cursor.Error("missing required field \"port\"");
        else port = portCursor.Int(1, 65535);
        var timeout = f.TryGetValue("timeout", out var t) ? t.Duration(DurationLimits.Agent) ?? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(30);
        return port is null ? null : new WaitForHttp(path, port.Value, timeout);
    }
}
