using System.Text.RegularExpressions;
using Agent.Core.Build;
using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Reads one entry of spec.services strictly into a <see cref="ServiceSpec"/>.</summary>
internal sealed partial class ServiceParser(string group, string manifestDir, IManifestFiles files)
{
    public static readonly string[] Fields =
    [
        "name", "image", "build", "imagePullPolicy", "command", "entrypoint", "workingDir", "user", "hostname", "env", "envFrom",
        "ports", "volumes", "tmpfs", "labels", "replicas", "restart", "healthcheck", "resources", "dependsOn", "update",
        "readOnlyRootFilesystem", "capAdd", "capDrop", "noNewPrivileges", "stopSignal", "stopGracePeriod", "logging",
        "extraHosts", "aliases", "init", "tty", "stdin", "privileged", "networkMode", "pid", "ipc", "uts", "userns", "cgroupns",
        "devices", "deviceCgroupRules", "gpus", "securityOpt", "sysctls", "volumesFrom", "groupAdd",
    ];

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    public static partial Regex DnsLabel();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex VolumeName();

    /// <summary>The name is a container's, not a group's service: any name the engine takes (`P62_Up`, as `docker run
    /// --name`), which the caller checks with <see cref="Security.Identifiers.EngineNameProblem"/>, not a DNS label.</summary>
    public bool ContainerNames { get; init; }

    /// <summary>The group's declared volumes by short name (external ones are mounted by their own name).</summary>
    public IReadOnlyDictionary<string, VolumeSpec> Declared { get; init; } = new Dictionary<string, VolumeSpec>();

    /// <summary>Named volumes the services use, by short name.</summary>
    public SortedSet<string> VolumesUsed { get; } = new(StringComparer.Ordinal);

    /// <param name="impliedName">The name when the mapping has none (a job's container is named by its job).</param>
    /// <returns>The service, or null when any of its fields has an error.</returns>
    public ServiceSpec? Parse(YamlCursor cursor, string? impliedName = null)
    {
        var errorsBefore = cursor.Context.Errors.Count;
        var service = ParseLeniently(cursor, impliedName);
        return cursor.Context.Errors.Count == errorsBefore ? service : null;
    }

    /// <summary>The service as far as it reads (a field with an error keeps its default), so that checks of the other
    /// fields (security policy, dependencies) still run and every error of the document is reported in one pass.
    /// Null only when the item is not a mapping.</summary>
    public ServiceSpec? ParseLeniently(YamlCursor cursor, string? impliedName = null)
    {
        var f = cursor.Mapping(Fields);
        if (f is null) return null;

        string? name = impliedName;
        if (!f.TryGetValue("name", out var nameCursor))
        {
            if (impliedName is null) cursor.Error("missing required field \"name\"");
        }
        else if ((name = nameCursor.String()) is not null && !ContainerNames && !DnsLabel().IsMatch(name))
            nameCursor.Error($"{YamlCursor.Quote(name)} is not a valid service name (lowercase letters, digits and '-', at most 63)");

        string? image = null;
        var build = f.TryGetValue("build", out var buildCursor) ? ReadBuild(buildCursor) : null;
        if (!f.TryGetValue("image", out var imageCursor))
        {
            if (buildCursor is null) cursor.Error("missing required field \"image\" (or \"build\")");
            else if (name is not null) image = BuildSpecs.DefaultImage(group, name);
        }
        else if ((image = imageCursor.String()) is not null && (image.Any(char.IsWhiteSpace) || image.Length == 0))
            imageCursor.Error($"{YamlCursor.Quote(image)} is not an image reference");
        if (build is { Push: true } && imageCursor is null)
            buildCursor!.Error("push needs image: naming the registry and repository to push to (e.g. localhost:5000/app:1.0)");

        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (f.TryGetValue("envFrom", out var envFrom)) ReadEnvFrom(envFrom, env, digests);
        var fromFiles = env.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (f.TryGetValue("env", out var envCursor)) ReadEnv(envCursor, env);

        var replicas = f.TryGetValue("replicas", out var r) ? r.Int(0, 1000) ?? 1 : 1;
        var ports = f.TryGetValue("ports", out var p) ? ReadPorts(p, replicas) : [];
        var mounts = new List<MountSpec>();
        if (f.TryGetValue("volumes", out var v)) ReadVolumes(v, mounts, digests);
        if (f.TryGetValue("tmpfs", out var t)) ReadTmpfs(t, mounts);

        var container = new ContainerSpec
        {
            Image = image ?? "",
            Build = build,
            ImagePullPolicy = f.TryGetValue("imagePullPolicy", out var pp)
                ? pp.Enum(("IfNotPresent", PullPolicy.IfNotPresent), ("Always", PullPolicy.Always), ("Never", PullPolicy.Never)) ?? PullPolicy.IfNotPresent
                : PullPolicy.IfNotPresent,
            Command = f.TryGetValue("command", out var c) ? c.Command() : null,
            Entrypoint = f.TryGetValue("entrypoint", out var e) ? e.Command() : null,
            WorkingDir = Path(f, "workingDir"),
            User = Text(f, "user"),
            Hostname = Text(f, "hostname"),
            Env = env,
            SecretEnv = SecretKeys(fromFiles, env),
            Ports = ports,
            Mounts = mounts,
            Labels = f.TryGetValue("labels", out var l) ? l.StringMap(AgentLabels.ReservedKeyProblem) ?? Empty.Map : Empty.Map,
            Restart = f.TryGetValue("restart", out var rs) ? ReadRestart(rs) : RestartPolicy.Always,
            Healthcheck = f.TryGetValue("healthcheck", out var hc) ? ReadHealthcheck(hc) : null,
            Resources = f.TryGetValue("resources", out var res) ? ReadResources(res) : ResourceLimits.None,
            ReadOnlyRootFilesystem = Flag(f, "readOnlyRootFilesystem"),
            CapAdd = List(f, "capAdd"),
            CapDrop = List(f, "capDrop"),
            NoNewPrivileges = Flag(f, "noNewPrivileges"),
            StopSignal = Text(f, "stopSignal"),
            StopGracePeriod = f.TryGetValue("stopGracePeriod", out var sg) ? sg.Duration(DurationLimits.Agent) : null,
            Logging = f.TryGetValue("logging", out var lg) ? ReadLogging(lg) : null,
            ExtraHosts = f.TryGetValue("extraHosts", out var eh) ? ReadExtraHosts(eh) : [],
            NetworkAliases = List(f, "aliases"),
            Init = Flag(f, "init"),
            Tty = Flag(f, "tty") ? true : null,
            OpenStdin = Flag(f, "stdin") ? true : null,
            Privileged = Flag(f, "privileged"),
            NetworkMode = Text(f, "networkMode"),
            PidMode = Text(f, "pid"),
            IpcMode = Text(f, "ipc"),
            UtsMode = Text(f, "uts"),
            UsernsMode = Text(f, "userns"),
            CgroupnsMode = Text(f, "cgroupns"),
            Devices = List(f, "devices"),
            DeviceCgroupRules = List(f, "deviceCgroupRules"),
            Gpus = f.TryGetValue("gpus", out var g) ? (g.Node is YamlDotNet.RepresentationModel.YamlScalarNode ? g.Scalar() is { } all ? [all] : [] : g.StringList() ?? []) : [],
            SecurityOpt = List(f, "securityOpt"),
            Sysctls = f.TryGetValue("sysctls", out var sc) ? sc.StringMap() ?? Empty.Map : Empty.Map,
            VolumesFrom = List(f, "volumesFrom"),
            GroupAdd = List(f, "groupAdd"),
            FileDigests = digests,
        };

        var service = new ServiceSpec
        {
            Name = name ?? "",
            Container = container,
            Replicas = replicas,
            DependsOn = f.TryGetValue("dependsOn", out var d) ? ReadDependsOn(d) : [],
            Update = f.TryGetValue("update", out var u) ? ReadUpdate(u) : UpdatePolicy.Default,
        };
        if (service.Update.Strategy == UpdateStrategy.StartFirst && ports.Any(port => port.HostPort is not null))
            u!.Error("start-first cannot be used with a fixed host port: the old and the new container cannot publish the same port at once (use stop-first, with rollbackOnFailure if wanted, or leave the host port out)");
        if (service.Update.Strategy == UpdateStrategy.StartFirst && service.Update.RollbackOnFailure && container.Healthcheck is null or { Disabled: true })
            u!.Error("rollbackOnFailure needs a healthcheck on the service: without one there is nothing to wait for");
        return service;
    }

    /// <summary>The keys whose value is still the one an env file gave (an inline value of the same key replaces it).</summary>
    public static HashSet<string> SecretKeys(IReadOnlyDictionary<string, string> fromFiles, IReadOnlyDictionary<string, string> env) =>
        fromFiles.Where(e => env.TryGetValue(e.Key, out var v) && v == e.Value).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);

    private static string? Text(Dictionary<string, YamlCursor> f, string key) =>
        f.TryGetValue(key, out var c) ? c.Scalar() : null;

    private static string? Path(Dictionary<string, YamlCursor> f, string key)
    {
        var text = Text(f, key);
        if (text is not null && !text.StartsWith('/')) f[key].Error($"{YamlCursor.Quote(text)} must be an absolute path inside the container");
        return text;
    }

    private static bool Flag(Dictionary<string, YamlCursor> f, string key) =>
        f.TryGetValue(key, out var c) && (c.Bool() ?? false);

    private static IReadOnlyList<string> List(Dictionary<string, YamlCursor> f, string key) =>
        f.TryGetValue(key, out var c) ? c.StringList() ?? [] : [];

    private void ReadEnvFrom(YamlCursor cursor, SortedDictionary<string, string> env, SortedDictionary<string, string> digests)
    {
        foreach (var item in cursor.Sequence() ?? [])
        {
            var relative = item.Scalar();
            if (relative is null) continue;
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(manifestDir, relative));
            if (FileConfinement.Problem(path, files, cursor.Context.Policy.Options.AllowedFileRoots) is { } outside)
            {
                item.Error($"env file \"{relative}\" {outside}");
                continue;
            }
            var resolved = files.ResolveLinks(path);
            var text = files.ReadText(resolved);
            if (text is null)
            {
                item.Error($"env file \"{relative}\" {files.Unreadable(resolved) ?? $"not found (looked for {System.IO.Path.GetRelativePath(files.Root, path)} in the manifests folder)"}");
                continue;
            }
            var values = EnvFileSyntax.Parse(text, out var problems);
            foreach (var (key, value) in values) env[key] = value;
            // The line itself is never shown: an env file holds secrets, and an error message travels to logs and status.
            foreach (var (line, _) in problems) item.Error($"{relative}:{line}: not a KEY=VALUE line (its text is not shown: env files hold secrets)");
            digests[$"envFrom:{relative}"] = files.Digest(resolved) ?? "";
        }
    }

    private static void ReadEnv(YamlCursor cursor, SortedDictionary<string, string> env)
    {
        if (cursor.Node is YamlDotNet.RepresentationModel.YamlSequenceNode)
        {
            foreach (var item in cursor.Sequence() ?? [])
            {
                var entry = item.Scalar();
                if (entry is null) continue;
                var eq = entry.IndexOf('=');
                var key = eq < 0 ? entry : entry[..eq];
                if (!EnvFileSyntax.IsName(key)) item.Error($"{YamlCursor.Quote(entry)} is not KEY=VALUE");
                else env[key] = eq < 0 ? "" : entry[(eq + 1)..];
            }
            return;
        }
        foreach (var (key, value, _) in cursor.Entries())
        {
            if (!EnvFileSyntax.IsName(key)) value.Error($"{YamlCursor.Quote(key)} is not a valid environment variable name");
            else if (value.IsNull) env[key] = "";
            else if (value.Scalar() is { } s) env[key] = s;
        }
    }

    private static IReadOnlyList<PortMapping> ReadPorts(YamlCursor cursor, int replicas)
    {
        var result = new List<PortMapping>();
        foreach (var item in cursor.Sequence() ?? [])
        {
            var text = item.Scalar();
            if (text is null) continue;
            var mappings = PortSyntax.Parse(text, out var error);
            if (mappings is null)
            {
                item.Error(error!);
                continue;
            }
            if (replicas > 1 && mappings.Any(m => m.HostPort is not null))
                item.Error($"a fixed host port cannot be published by {replicas} replicas: leave the host port out (\"{mappings[0].ContainerPort}\") for ephemeral ports, or use one replica");
            result.AddRange(mappings);
        }
        return result;
    }

    private void ReadVolumes(YamlCursor cursor, List<MountSpec> mounts, SortedDictionary<string, string> digests)
    {
        foreach (var item in cursor.Sequence() ?? [])
        {
            var text = item.Scalar();
            if (text is null) continue;
            var parts = text.Split(':');
            if (parts.Length > 3 || parts.Any(string.IsNullOrEmpty))
            {
                item.Error($"{YamlCursor.Quote(text)} is not a volume (use NAME:/path, {(item.Context.HasFolder ? "./relative:/path " : "")}or /abs:/path, optionally :ro)");
                continue;
            }
            var readOnly = false;
            if (parts.Length == 3)
            {
                if (parts[2] is not ("ro" or "rw"))
                {
                    item.Error($"{YamlCursor.Quote(text)}: mode must be ro or rw, got \"{parts[2]}\"");
                    continue;
                }
                readOnly = parts[2] == "ro";
            }
            var target = parts.Length == 1 ? parts[0] : parts[1];
            if (!target.StartsWith('/'))
            {
                item.Error($"{YamlCursor.Quote(text)}: the container path \"{target}\" must be absolute");
                continue;
            }
            if (mounts.Any(m => m.Target == target))
            {
                item.Error($"{YamlCursor.Quote(text)}: {target} is mounted twice");
                continue;
            }
            if (parts.Length == 1)
            {
                mounts.Add(new MountSpec(MountType.Volume, null, target));
                continue;
            }
            var source = parts[0];
            if (source.StartsWith('/') || source.StartsWith('.'))
            {
                var host = System.IO.Path.GetFullPath(System.IO.Path.Combine(manifestDir, source));
                if (files.Confinement(host) is { } outside)
                {
                    item.Error($"{YamlCursor.Quote(text)}: the bind source {outside}");
                    continue;
                }
                var inside = source.StartsWith('.') && IsUnder(host, files.Root);
                // Like Compose's short syntax, a relative bind inside the manifests folder is created as a folder when missing.
                mounts.Add(new MountSpec(MountType.Bind, host, target, readOnly) { CreateSource = inside, WrittenSource = source.StartsWith('.') ? source : null });
                if (BindDigestRule.CountsContent(host, readOnly, files.Root, manifestDir) && files.DigestBind(host) is { } digest) digests[$"bind:{target}"] = digest;
            }
            else if (source.StartsWith('~'))
            {
                item.Error($"{YamlCursor.Quote(text)}: \"~\" is not expanded; use an absolute path{(item.Context.HasFolder ? " or one relative to the manifest (./...)" : "")}");
            }
            else if (!VolumeName().IsMatch(source))
            {
                item.Error($"{YamlCursor.Quote(text)}: \"{source}\" is not a volume name (letters, digits, '_', '.', '-')");
            }
            else if (Declared.TryGetValue(source, out var declared) && declared.External)
            {
                mounts.Add(new MountSpec(MountType.Volume, declared.Name, target, readOnly) { External = true });
            }
            else
            {
                VolumesUsed.Add(source);
                mounts.Add(new MountSpec(MountType.Volume, VolumeFullName(group, source), target, readOnly));
            }
        }
    }

    public static string VolumeFullName(string group, string volume) => $"{group}_{volume}";

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static void ReadTmpfs(YamlCursor cursor, List<MountSpec> mounts)
    {
        foreach (var item in cursor.Sequence() ?? [])
        {
            var text = item.Scalar();
            if (text is null) continue;
            var (mount, problem) = TmpfsSyntax.Parse(text);
            if (problem is not null) item.Error(problem);
            else if (mounts.Any(m => m.Target == mount!.Target)) item.Error($"{mount!.Target} is mounted twice");
            else mounts.Add(mount!);
        }
    }

    private static RestartPolicy ReadRestart(YamlCursor cursor)
    {
        var text = cursor.Scalar();
        switch (text)
        {
            case null: return RestartPolicy.Always;
            case "always": return RestartPolicy.Always;
            case "no" or "never": return RestartPolicy.No;
            case "unless-stopped": return new RestartPolicy(RestartMode.UnlessStopped);
            case "on-failure": return new RestartPolicy(RestartMode.OnFailure);
        }
        if (text.StartsWith("on-failure:", StringComparison.Ordinal) && int.TryParse(text[11..], out var retries) && retries > 0)
            return new RestartPolicy(RestartMode.OnFailure, retries);
        cursor.Error($"{YamlCursor.Quote(text)} is not a restart policy (always, on-failure[:N], unless-stopped, no)");
        return RestartPolicy.Always;
    }

    private static HealthcheckSpec? ReadHealthcheck(YamlCursor cursor)
    {
        var f = cursor.Mapping("test", "interval", "timeout", "retries", "startPeriod", "disable");
        if (f is null) return null;
        if (f.TryGetValue("disable", out var disable) && disable.Bool() == true)
            return new HealthcheckSpec(["NONE"], TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero);
        IReadOnlyList<string>? test = null;
        if (!f.TryGetValue("test", out var t)) cursor.Error("missing required field \"test\"");
        else if (t.Node is YamlDotNet.RepresentationModel.YamlScalarNode) test = t.Scalar() is { } shell ? ["CMD-SHELL", shell] : null;
        else if ((test = t.StringList()) is { } list && (list.Count == 0 || list[0] is not ("CMD" or "CMD-SHELL" or "NONE") || list.Count == 1 && list[0] != "NONE"))
            t.Error("must start with \"CMD\" or \"CMD-SHELL\" followed by the command (or be a string, run by the shell)");
        return new HealthcheckSpec(
            test ?? [],
            PositiveDuration(f, "interval", DurationLimits.Engine) ?? TimeSpan.FromSeconds(30),
            PositiveDuration(f, "timeout", DurationLimits.Engine) ?? TimeSpan.FromSeconds(30),
            f.TryGetValue("retries", out var r) ? r.Int(1, 100) ?? 3 : 3,
            f.TryGetValue("startPeriod", out var s) ? s.Duration(DurationLimits.Engine) ?? TimeSpan.Zero : TimeSpan.Zero);
    }

    private static TimeSpan? PositiveDuration(Dictionary<string, YamlCursor> f, string key, TimeSpan max)
    {
        if (!f.TryGetValue(key, out var c)) return null;
        var d = c.Duration(max);
        if (d is { } value && value < TimeSpan.FromMilliseconds(1)) c.Error("must be at least 1ms");
        return d;
    }

    private static ResourceLimits ReadResources(YamlCursor cursor)
    {
        var f = cursor.Mapping("memory", "cpus", "pids");
        if (f is null) return ResourceLimits.None;
        long? memory = null, cpus = null, pids = null;
        if (f.TryGetValue("memory", out var m) && (memory = m.Size()) is < 6 * 1024 * 1024)
            m.Error("must be at least 6Mi (the engine's minimum)");
        if (f.TryGetValue("cpus", out var c) && c.Scalar() is { } text)
        {
            if (Quantities.TryParseCpus(text, out var nano)) cpus = nano;
            else c.Error($"{YamlCursor.Quote(text)} is not a CPU amount (a positive number like 0.5, or millicores like 500m)");
        }
        if (f.TryGetValue("pids", out var p)) pids = p.Int(1);
        return new ResourceLimits(memory, cpus, pids);
    }

    private static LoggingSpec? ReadLogging(YamlCursor cursor)
    {
        var f = cursor.Mapping("driver", "options");
        if (f is null) return null;
        var driver = f.TryGetValue("driver", out var d) ? d.Scalar() ?? "json-file" : "json-file";
        return new LoggingSpec(driver, f.TryGetValue("options", out var o) ? o.StringMap() ?? Empty.Map : Empty.Map);
    }

    private static IReadOnlyList<string> ReadExtraHosts(YamlCursor cursor)
    {
        var result = new List<string>();
        foreach (var item in cursor.Sequence() ?? [])
        {
            var text = item.Scalar();
            if (text is null) continue;
            var sep = text.IndexOfAny([':', '=']);
            if (sep <= 0 || !System.Net.IPAddress.TryParse(text[(sep + 1)..].Trim('[', ']'), out _) && text[(sep + 1)..] != "host-gateway")
                item.Error($"{YamlCursor.Quote(text)} is not HOST:IP");
            else result.Add($"{text[..sep]}:{text[(sep + 1)..]}");
        }
        return result;
    }

    private static IReadOnlyList<ServiceDependency> ReadDependsOn(YamlCursor cursor)
    {
        var result = new List<ServiceDependency>();
        foreach (var item in cursor.Sequence() ?? [])
        {
            if (item.Node is YamlDotNet.RepresentationModel.YamlScalarNode)
            {
                if (item.Scalar() is { } name) result.Add(new ServiceDependency(name, DependencyCondition.Started));
                continue;
            }
            var f = item.Mapping("service", "condition");
            if (f is null) continue;
            if (!f.TryGetValue("service", out var s)) { item.Error("missing required field \"service\""); continue; }
            var condition = f.TryGetValue("condition", out var c)
                ? c.Enum(("started", DependencyCondition.Started), ("healthy", DependencyCondition.Healthy), ("completed", DependencyCondition.Completed))
                : DependencyCondition.Started;
            if (s.Scalar() is { } service && condition is { } cond) result.Add(new ServiceDependency(service, cond));
        }
        return result;
    }

    private static UpdatePolicy ReadUpdate(YamlCursor cursor)
    {
        var f = cursor.Mapping("strategy", "rollbackOnFailure", "healthTimeout");
        if (f is null) return UpdatePolicy.Default;
        return new UpdatePolicy(
            f.TryGetValue("strategy", out var s)
                ? s.Enum(("stop-first", UpdateStrategy.StopFirst), ("start-first", UpdateStrategy.StartFirst)) ?? UpdateStrategy.StopFirst
                : UpdateStrategy.StopFirst,
            f.TryGetValue("rollbackOnFailure", out var r) && (r.Bool() ?? false),
            PositiveDuration(f, "healthTimeout", DurationLimits.Agent) ?? UpdatePolicy.Default.HealthTimeout);
    }
}
