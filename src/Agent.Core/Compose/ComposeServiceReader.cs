using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>Stage 6, normalise (per service): one compose service onto <see cref="ServiceSpec"/> and
/// <see cref="ContainerSpec"/>. Every field compose defines and the agent does not support is an error naming it.</summary>
internal sealed class ComposeServiceReader(ComposeContext project, Security.SecurityOptions security)
{
    public static readonly string[] Fields =
    [
        "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes", "tmpfs", "networks",
        "network_mode", "depends_on", "healthcheck", "restart", "deploy", "scale", "labels", "logging", "stop_signal",
        "stop_grace_period", "user", "working_dir", "hostname", "domainname", "extra_hosts", "dns", "dns_search", "dns_opt",
        "cap_add", "cap_drop", "security_opt", "read_only", "init", "ulimits", "sysctls", "devices", "privileged", "pid",
        "ipc", "shm_size", "pull_policy", "container_name", "mem_limit", "mem_reservation", "cpus", "cpu_shares",
        "pids_limit", "profiles", "group_add", "volumes_from", "cgroupns_mode", "userns_mode", "uts", "secrets", "configs",
        "tty", "stdin_open", "links", "platform",
    ];

    /// <summary>The service as far as it reads (a field with an error keeps its default), so that the security policy
    /// still judges the rest and every error is reported in one pass; the project loads only without errors.</summary>
    public ServiceSpec? Read(string name, ComposeCursor cursor)
    {
        var f = cursor.Mapping(Fields, "service field");
        if (f is null) return null;

        if (!ServiceName(name)) cursor.Error($"\"{name}\" is not a valid service name (letters, digits, '_', '.', '-', starting with a letter or digit)");
        var build = f.TryGetValue("build", out var buildCursor) ? ComposeBuild.Read(buildCursor, project, security) : null;
        string image = "";
        if (f.TryGetValue("image", out var imageCursor)) image = imageCursor.Scalar() ?? "";
        else if (buildCursor is not null) image = Build.BuildSpecs.DefaultImage(project.Project, name); // as Compose v2 names it
        else cursor.Error("missing \"image\" (or \"build\")");
        if (build is null && f.TryGetValue("pull_policy", out var pullBuild) && pullBuild.Scalar() == "build") pullBuild.Error("pull_policy: build needs a build: section");

        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (f.TryGetValue("env_file", out var envFile)) ReadEnvFiles(envFile, env);
        var fromFiles = env.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (f.TryGetValue("environment", out var environment))
            foreach (var (key, value, at) in environment.KeyValues())
            {
                if (!EnvFileSyntax.IsName(key) && !DotEnv.IsKey(key)) at.Error($"\"{key}\" is not a valid variable name");
                else if (value is not null) env[key] = value;
                else if (project.Lookup(key) is { } inherited) env[key] = inherited; // KEY alone: from the project's environment
                else env.Remove(key);
                // A value interpolated from `.env` (`P: ${PASSWORD}`, or `PASSWORD` alone) is as secret as an env_file's.
                if (env.TryGetValue(key, out var set) && (at.Node is ComposeScalar { FromEnvFile: true } || value is null && project.FromEnvFile(key)))
                    fromFiles[key] = set;
            }

        var deploy = f.TryGetValue("deploy", out var d) ? ReadDeploy(d) : null;
        var replicas = deploy?.Replicas ?? 1;
        if (f.TryGetValue("scale", out var scale) && scale.Int(0, 1000) is { } s)
        {
            if (deploy?.Replicas is { } r && r != s) scale.Error($"scale ({s}) and deploy.replicas ({r}) disagree");
            replicas = s;
        }

        var mounts = new List<MountSpec>();
        if (f.TryGetValue("volumes", out var v))
            foreach (var item in v.Sequence()) ReadVolume(item, mounts, digests);
        if (f.TryGetValue("tmpfs", out var t))
            foreach (var target in t.StringOrList())
            {
                var (mount, problem) = TmpfsSyntax.Parse(target);
                if (problem is not null) t.Error(problem);
                else AddMount(t, mounts, mount!);
            }

        var files = new List<ContainerFile>();
        if (f.TryGetValue("secrets", out var secrets)) ReadFileMounts(secrets, "secret", project.Secrets, mounts, files, digests);
        if (f.TryGetValue("configs", out var configs)) ReadFileMounts(configs, "config", project.Configs, mounts, files, digests);

        var aliases = new List<string>();
        var networkMode = Text(f, "network_mode");
        var attachments = networkMode is null ? ComposeNetworks.ReadAttachments(f.GetValueOrDefault("networks"), project, aliases) : null;

        var restart = f.TryGetValue("restart", out var rs) ? ReadRestart(rs) : RestartPolicy.No;
        if (deploy?.Restart is { } deployRestart) restart = deployRestart;

        var resources = deploy?.Resources ?? ResourceLimits.None;
        if (f.TryGetValue("mem_limit", out var ml)) resources = resources with { MemoryBytes = ml.Size() };
        if (f.TryGetValue("mem_reservation", out var mr)) resources = resources with { MemoryReservationBytes = mr.Size() };
        if (f.TryGetValue("cpus", out var cpus)) resources = resources with { NanoCpus = Cpus(cpus) };
        if (f.TryGetValue("cpu_shares", out var shares)) resources = resources with { CpuShares = shares.Long(2, 262144) };
        if (f.TryGetValue("pids_limit", out var pids)) resources = resources with { PidsLimit = pids.Long(-1) };

        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (f.TryGetValue("labels", out var l))
            foreach (var (key, value, at) in l.KeyValues())
                if (AgentLabels.ReservedKeyProblem(key) is { } problem) at.Error(problem);
                else labels[key] = value ?? "";
        var dependsOn = f.TryGetValue("depends_on", out var dep) ? ReadDependsOn(dep, name) : [];
        if (f.TryGetValue("links", out var links)) dependsOn = ReadLinks(links, dependsOn);
        if (f.TryGetValue("platform", out var platform)) CheckPlatform(platform);
        foreach (var (key, value) in project.ComposeLabels(name, image, dependsOn)) labels[key] = value;

        var container = new ContainerSpec
        {
            Image = image,
            Build = build,
            ImagePullPolicy = f.TryGetValue("pull_policy", out var pp) ? ReadPullPolicy(pp) : PullPolicy.IfNotPresent,
            Command = f.TryGetValue("command", out var c) ? Command(c) : null,
            Entrypoint = f.TryGetValue("entrypoint", out var e) ? Command(e) : null,
            WorkingDir = Text(f, "working_dir"),
            User = Text(f, "user"),
            Hostname = Text(f, "hostname"),
            Domainname = Text(f, "domainname"),
            Env = env,
            SecretEnv = Manifests.ServiceParser.SecretKeys(fromFiles, env),
            Ports = f.TryGetValue("ports", out var p) ? ComposePorts.Read(p, replicas) : [],
            Expose = f.TryGetValue("expose", out var ex) ? ex.Sequence().Select(i => i.Scalar()).OfType<string>().Select(x => x.Contains('/') ? x : x + "/tcp").ToList() : null,
            Mounts = mounts,
            Labels = labels,
            Restart = restart,
            Healthcheck = f.TryGetValue("healthcheck", out var hc) ? ReadHealthcheck(hc) : null,
            Resources = resources,
            ReadOnlyRootFilesystem = Flag(f, "read_only"),
            CapAdd = List(f, "cap_add"),
            CapDrop = List(f, "cap_drop"),
            StopSignal = Text(f, "stop_signal"),
            StopGracePeriod = f.TryGetValue("stop_grace_period", out var sg) ? sg.Duration(DurationLimits.Agent) : null,
            Logging = f.TryGetValue("logging", out var lg) ? ReadLogging(lg) : null,
            ExtraHosts = f.TryGetValue("extra_hosts", out var eh) ? ReadExtraHosts(eh) : [],
            NetworkAliases = aliases,
            Networks = attachments,
            Init = Flag(f, "init"),
            Tty = Flag(f, "tty") ? true : null,
            OpenStdin = Flag(f, "stdin_open") ? true : null,
            Privileged = Flag(f, "privileged"),
            NetworkMode = networkMode,
            PidMode = Text(f, "pid"),
            IpcMode = Text(f, "ipc"),
            UtsMode = Text(f, "uts"),
            UsernsMode = Text(f, "userns_mode"),
            CgroupnsMode = Text(f, "cgroupns_mode"),
            Devices = List(f, "devices"),
            SecurityOpt = List(f, "security_opt"),
            Sysctls = f.TryGetValue("sysctls", out var sc) ? sc.KeyValues().ToDictionary(x => x.Key, x => x.Value ?? "") : Empty.Map,
            VolumesFrom = List(f, "volumes_from"),
            GroupAdd = List(f, "group_add"),
            Dns = f.TryGetValue("dns", out var dns) ? dns.StringOrList() : null,
            DnsSearch = f.TryGetValue("dns_search", out var ds) ? ds.StringOrList() : null,
            DnsOptions = f.TryGetValue("dns_opt", out var dop) ? dop.StringList() : null,
            Ulimits = f.TryGetValue("ulimits", out var ul) ? ReadUlimits(ul) : null,
            ShmSizeBytes = f.TryGetValue("shm_size", out var shm) ? shm.Size() : null,
            FileDigests = digests,
            Files = files,
        };
        if (container.NetworkMode is not null && f.TryGetValue("networks", out var both))
            both.Error("network_mode and networks cannot be used together");

        string? containerName = null;
        if (f.TryGetValue("container_name", out var cn) && (containerName = cn.Scalar()) is not null && replicas > 1)
            cn.Error($"container_name cannot be used with {replicas} replicas: each container needs its own name");
        else if (containerName is not null && Security.Identifiers.EngineNameProblem(containerName) is { } badName)
            cn!.Error($"\"{containerName}\" {badName}");

        var service = new ServiceSpec
        {
            Name = name,
            Container = container,
            Replicas = replicas,
            DependsOn = dependsOn,
            Update = deploy?.Update ?? UpdatePolicy.Default,
            ContainerName = containerName,
            ContainerNameAt = containerName is null ? null : cn!.Node.At,
        };
        if (service.Update.RollbackOnFailure && container.Healthcheck is null or { Disabled: true })
            d!.Error("deploy.update_config.failure_action: rollback needs a healthcheck on the service: without one there is nothing to wait for");
        if (service.Update.Strategy == UpdateStrategy.StartFirst && container.Ports.Any(port => port.HostPort is not null))
            d!.Error("deploy.update_config.order: start-first cannot be used with a fixed host port: the old and new containers cannot publish the same port at once");
        return service;
    }

    private static bool ServiceName(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static string? Text(Dictionary<string, ComposeCursor> f, string key) => f.TryGetValue(key, out var c) ? c.Scalar() : null;
    private static bool Flag(Dictionary<string, ComposeCursor> f, string key) => f.TryGetValue(key, out var c) && (c.Bool() ?? false);
    private static IReadOnlyList<string> List(Dictionary<string, ComposeCursor> f, string key) => f.TryGetValue(key, out var c) ? c.StringList() : [];

    private static IReadOnlyList<string>? Command(ComposeCursor c)
    {
        if (c.IsNull) return null;
        if (!c.IsScalar) return c.StringList();
        var words = ShellWords.Split(c.Scalar() ?? "");
        if (words is null) c.Error("has an unterminated quote");
        return words;
    }

    private static long? Cpus(ComposeCursor c)
    {
        var text = c.Scalar();
        if (text is null) return null;
        if (Quantities.TryParseCpus(text, out var nano)) return nano;
        c.Error($"\"{text}\" is not a CPU amount (like 0.5)");
        return null;
    }

    private void ReadEnvFiles(ComposeCursor cursor, SortedDictionary<string, string> env)
    {
        var items = cursor.IsScalar ? [cursor] : cursor.Sequence();
        foreach (var item in items)
        {
            string? relative;
            var required = true;
            if (item.IsMapping)
            {
                var f = item.Mapping(["path", "required", "format"]);
                if (f is null) continue;
                if (!f.TryGetValue("path", out var pathCursor)) { item.Error("missing \"path\""); continue; }
                relative = pathCursor.Scalar();
                if (f.TryGetValue("required", out var r)) required = r.Bool() ?? true;
                if (f.TryGetValue("format", out var fmt) && fmt.Scalar() is { } format && format != "dotenv") fmt.Error($"env_file format \"{format}\" is not supported (only dotenv)");
            }
            else relative = item.Scalar();
            if (relative is null) continue;
            var path = project.Resolve(relative);
            project.InputFilesAsked.Add(path);
            if (ComposeFileRule.Problem(path, project.Files, security) is { } refused)
            {
                item.Error($"env file \"{relative}\" {refused}");
                continue;
            }
            var text = project.Files.ReadText(path);
            if (text is null)
            {
                // A file that is there but no file to read (a FIFO) is an error also when it is optional.
                if (project.Files.Unreadable(path) is { } why) item.Error($"env file \"{relative}\" {why}");
                else if (required) item.Error($"env file \"{relative}\" not found ({path})");
                continue;
            }
            var parsed = DotEnv.Parse(text, project.Lookup);
            foreach (var (line, message) in parsed.Errors) project.Errors.Add(new ManifestError(project.Display(path), line, 1, item.Path, message));
            foreach (var (key, value) in parsed.Values) env[key] = value;
        }
    }

    private void ReadVolume(ComposeCursor item, List<MountSpec> mounts, SortedDictionary<string, string> digests)
    {
        if (item.IsMapping)
        {
            var f = item.Mapping(["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"]);
            if (f is null) return;
            var type = f.TryGetValue("type", out var tc) ? tc.Scalar() : null;
            var target = f.TryGetValue("target", out var tg) ? tg.Scalar() : null;
            var source = f.TryGetValue("source", out var sc) ? sc.Scalar() : null;
            var readOnly = f.TryGetValue("read_only", out var ro) && (ro.Bool() ?? false);
            if (target is null || !target.StartsWith('/')) { item.Error("\"target\" must be an absolute path inside the container"); return; }
            switch (type)
            {
                case "volume":
                    if (f.TryGetValue("volume", out var vo)) vo.Mapping(["nocopy"]);
                    if (source is null) AddMount(item, mounts, new MountSpec(MountType.Volume, null, target, readOnly));
                    else if (project.Volume(source, sc!) is { } full) AddMount(item, mounts, new MountSpec(MountType.Volume, full, target, readOnly) { External = project.ExternalVolumes.ContainsKey(source) });
                    break;
                case "bind":
                    var createHostPath = false;
                    if (f.TryGetValue("bind", out var bo))
                        if (bo.Mapping(["create_host_path", "propagation", "selinux"]) is { } b)
                        {
                            foreach (var key in new[] { "propagation", "selinux" })
                                if (b.TryGetValue(key, out var unsupported)) unsupported.Error($"bind.{key} is not supported by the agent");
                            createHostPath = b.TryGetValue("create_host_path", out var chp) && (chp.Bool() ?? false);
                        }
                    if (source is null) { item.Error("a bind needs \"source\""); return; }
                    AddBind(item, mounts, digests, source, target, readOnly, createHostPath);
                    break;
                case "tmpfs":
                    long? size = null;
                    if (f.TryGetValue("tmpfs", out var to) && to.Mapping(["size", "mode"]) is { } tf)
                    {
                        if (tf.TryGetValue("size", out var sz)) size = sz.Size();
                        if (tf.TryGetValue("mode", out var mode)) mode.Error("tmpfs.mode is not supported by the agent");
                    }
                    AddMount(item, mounts, new MountSpec(MountType.Tmpfs, null, target, readOnly) { SizeBytes = size });
                    break;
                default:
                    (tc ?? item).Error($"volume type \"{type}\" is not supported (volume, bind, tmpfs)");
                    break;
            }
            if (f.TryGetValue("consistency", out var cons)) cons.Error("consistency is not supported by the agent");
            return;
        }
        var text = item.Scalar();
        if (text is null) return;
        var parts = text.Split(':');
        if (parts.Length > 3 || parts.Any(string.IsNullOrEmpty)) { item.Error($"\"{text}\" is not a volume (SOURCE:TARGET[:MODE] or TARGET)"); return; }
        var ro2 = false;
        if (parts.Length == 3)
        {
            foreach (var option in parts[2].Split(','))
                if (option == "ro") ro2 = true;
                else if (option is not ("rw" or "z" or "Z" or "nocopy")) { item.Error($"\"{text}\": mode \"{option}\" is not supported (ro, rw)"); return; }
        }
        if (parts.Length == 1)
        {
            if (!parts[0].StartsWith('/')) { item.Error($"\"{text}\" must be an absolute path inside the container"); return; }
            AddMount(item, mounts, new MountSpec(MountType.Volume, null, parts[0]));
            return;
        }
        if (!parts[1].StartsWith('/')) { item.Error($"\"{text}\": the container path \"{parts[1]}\" must be absolute"); return; }
        if (parts[0].StartsWith('/') || parts[0].StartsWith('.') || parts[0].StartsWith('~'))
            AddBind(item, mounts, digests, parts[0], parts[1], ro2, createHostPath: true); // the short syntax creates a missing folder, as Compose does
        else if (project.Volume(parts[0], item) is { } full)
            AddMount(item, mounts, new MountSpec(MountType.Volume, full, parts[1], ro2) { External = project.ExternalVolumes.ContainsKey(parts[0]) });
    }

    /// <summary>Service secrets and configs: the declared file mounted read-only at /run/secrets/&lt;name&gt; (secrets)
    /// or /&lt;name&gt; (configs), or at <c>target</c>; the file's content counts in the spec hash.</summary>
    private void ReadFileMounts(ComposeCursor cursor, string what, Dictionary<string, ComposeFileObject> declared, List<MountSpec> mounts,
        List<ContainerFile> files, SortedDictionary<string, string> digests)
    {
        foreach (var item in cursor.Sequence())
        {
            string? source, target = null;
            if (item.IsMapping)
            {
                var f = item.Mapping(["source", "target", "uid", "gid", "mode"], $"{what} field");
                if (f is null) continue;
                foreach (var key in new[] { "uid", "gid", "mode" })
                    if (f.TryGetValue(key, out var unsupported)) unsupported.Error($"{what}s.{key} is not supported: the file is bind-mounted read-only with its own owner and mode");
                if (!f.TryGetValue("source", out var s)) { item.Error("missing \"source\""); continue; }
                source = s.Scalar();
                if (f.TryGetValue("target", out var t)) target = t.Scalar();
            }
            else source = item.Scalar();
            if (source is null) continue;
            if (!declared.TryGetValue(source, out var declaredObject))
            {
                item.Error($"{what} \"{source}\" is not declared under the top-level {what}s");
                continue;
            }
            target ??= source;
            if (!target.StartsWith('/')) target = what == "secret" ? $"/run/secrets/{target}" : $"/{target}";
            if (declaredObject.Path is { } path)
            {
                AddMount(item, mounts, new MountSpec(MountType.Bind, path, target, ReadOnly: true));
                digests[$"{what}:{target}"] = project.Files.Digest(path) ?? "";
            }
            else if (mounts.Any(m => m.Target == target) || files.Any(x => x.Target == target)) item.Error($"{target} is mounted twice");
            else
            {
                files.Add(new ContainerFile(target, declaredObject.Content ?? ""));
                digests[$"{what}:{target}"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(declaredObject.Content ?? "")))[..16];
            }
        }
    }

    private void AddBind(ComposeCursor item, List<MountSpec> mounts, SortedDictionary<string, string> digests, string source, string target, bool readOnly,
        bool createHostPath)
    {
        if (source.StartsWith('~')) { item.Error($"\"{source}\": \"~\" is not expanded by the agent; use an absolute path or one relative to the project directory"); return; }
        var host = project.Resolve(source);
        // A compose file from a git repository binds only inside its checkout, like a ServiceGroup's (probe-13 F9).
        if (project.Files.Confinement(host) is { } outside) { item.Error($"\"{source}\": the bind source {outside}"); return; }
        // The agent creates only a relative folder inside the manifests folder (after admission, where the policy judged it);
        // any other missing source is refused here, at load, so an update never removes a container it cannot create again (probe-15c G17).
        var create = createHostPath && project.IsUnderRoot(host);
        if (!create && !project.Files.Exists(host))
        {
            item.Error($"\"{source}\": the bind source {host} does not exist (only relative binds inside the manifests folder are created)");
            return;
        }
        AddMount(item, mounts, new MountSpec(MountType.Bind, host, target, readOnly) { CreateSource = create });
        if (BindDigestRule.CountsContent(host, readOnly, project.Files.Root, project.ProjectDirectory) && project.Files.DigestBind(host) is { } digest)
            digests[$"bind:{target}"] = digest;
    }

    private static void AddMount(ComposeCursor item, List<MountSpec> mounts, MountSpec mount)
    {
        if (mounts.Any(m => m.Target == mount.Target)) item.Error($"{mount.Target} is mounted twice");
        else mounts.Add(mount);
    }

    private static RestartPolicy ReadRestart(ComposeCursor c)
    {
        var text = c.Scalar();
        switch (text)
        {
            case null: return RestartPolicy.No;
            case "no": return RestartPolicy.No;
            case "always": return RestartPolicy.Always;
            case "unless-stopped": return new RestartPolicy(RestartMode.UnlessStopped);
            case "on-failure": return new RestartPolicy(RestartMode.OnFailure);
        }
        if (text.StartsWith("on-failure:", StringComparison.Ordinal) && int.TryParse(text[11..], out var n) && n > 0)
            return new RestartPolicy(RestartMode.OnFailure, n);
        c.Error($"\"{text}\" is not a restart policy (no, always, on-failure[:N], unless-stopped)");
        return RestartPolicy.No;
    }

    private static PullPolicy ReadPullPolicy(ComposeCursor c) => c.Scalar() switch
    {
        "missing" or "if_not_present" => PullPolicy.IfNotPresent,
        "always" => PullPolicy.Always,
        "never" => PullPolicy.Never,
        "build" => PullPolicy.IfNotPresent, // with build: the image is built whenever its context changed, never pulled
        var other => Fail(c, $"pull_policy \"{other}\" is not supported (missing, always, never)", PullPolicy.IfNotPresent),
    };

    private static T Fail<T>(ComposeCursor c, string message, T value)
    {
        c.Error(message);
        return value;
    }

    private static HealthcheckSpec? ReadHealthcheck(ComposeCursor cursor)
    {
        var f = cursor.Mapping(["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"], "healthcheck field");
        if (f is null) return null;
        if (f.TryGetValue("disable", out var disable) && disable.Bool() == true)
            return new HealthcheckSpec(["NONE"], TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero);
        if (f.TryGetValue("start_interval", out var si)) si.Error("start_interval is not supported: it needs Engine API 1.44 and the agent speaks 1.41");
        IReadOnlyList<string> test = [];
        if (f.TryGetValue("test", out var t))
        {
            if (t.IsScalar) test = t.Scalar() is { } shell ? ["CMD-SHELL", shell] : [];
            else
            {
                test = t.StringList();
                if (test.Count == 0 || test[0] is not ("CMD" or "CMD-SHELL" or "NONE") || test.Count == 1 && test[0] != "NONE")
                    t.Error("must be a string, or a list starting with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
            }
        }
        if (test.Count == 1 && test[0] == "NONE") return new HealthcheckSpec(["NONE"], TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero);
        if (test.Count == 0) cursor.Error("missing \"test\" (the agent does not inherit the image's healthcheck settings piecemeal)");
        return new HealthcheckSpec(test,
            f.TryGetValue("interval", out var i) ? i.Duration(DurationLimits.Engine) ?? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(30),
            f.TryGetValue("timeout", out var to) ? to.Duration(DurationLimits.Engine) ?? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(30),
            f.TryGetValue("retries", out var r) ? r.Int(1, 1000) ?? 3 : 3,
            f.TryGetValue("start_period", out var sp) ? sp.Duration(DurationLimits.Engine) ?? TimeSpan.Zero : TimeSpan.Zero);
    }

    private static LoggingSpec? ReadLogging(ComposeCursor cursor)
    {
        var f = cursor.Mapping(["driver", "options"], "logging field");
        if (f is null) return null;
        var options = f.TryGetValue("options", out var o) ? o.KeyValues().ToDictionary(x => x.Key, x => x.Value ?? "") : [];
        return new LoggingSpec(f.TryGetValue("driver", out var d) ? d.Scalar() ?? "json-file" : "json-file",
            new SortedDictionary<string, string>(options, StringComparer.Ordinal));
    }

    private static IReadOnlyList<string> ReadExtraHosts(ComposeCursor cursor)
    {
        var result = new List<string>();
        if (cursor.IsMapping)
        {
            foreach (var (host, value, _) in cursor.KeyValues()) result.Add($"{host}:{value}");
            return result;
        }
        foreach (var item in cursor.Sequence())
        {
            if (item.Scalar() is not { } text) continue;
            var sep = text.IndexOfAny(['=', ':']);
            if (sep <= 0) item.Error($"\"{text}\" is not HOST:IP");
            else result.Add($"{text[..sep]}:{text[(sep + 1)..]}");
        }
        return result;
    }

    private static IReadOnlyList<UlimitSpec> ReadUlimits(ComposeCursor cursor)
    {
        var result = new List<UlimitSpec>();
        foreach (var (name, value) in cursor.Entries())
        {
            if (value.IsScalar)
            {
                if (value.Long() is { } both) result.Add(new UlimitSpec(name, both, both));
                continue;
            }
            var f = value.Mapping(["soft", "hard"]);
            if (f is null) continue;
            if (!f.TryGetValue("soft", out var soft) || !f.TryGetValue("hard", out var hard)) { value.Error("needs soft and hard"); continue; }
            if (soft.Long() is { } s && hard.Long() is { } h)
            {
                if (h >= 0 && (s < 0 || s > h)) value.Error($"soft ({(s < 0 ? "unlimited" : s)}) is above hard ({h})");
                else result.Add(new UlimitSpec(name, s, h));
            }
        }
        return result;
    }

    private readonly HashSet<(string Service, string Dependency)> optional = [];

    /// <summary>True for a <c>depends_on</c> entry with <c>required: false</c>: when that service is not part of the
    /// project (a profile leaves it out) the dependency is dropped, as Compose only warns; when it is, it is waited for.</summary>
    public bool IsOptional(string service, string dependency) => optional.Contains((service, dependency));

    /// <summary>Names the services' links give them (<c>db:database</c>: <c>database</c>, by target service), for the
    /// normaliser to add as network aliases of the target.</summary>
    public Dictionary<string, SortedSet<string>> LinkAliases { get; } = new(StringComparer.Ordinal);

    /// <summary><c>links: [SERVICE, SERVICE:ALIAS]</c> as docker compose v2 applies it: a dependency on SERVICE (started)
    /// unless depends_on names it, and ALIAS resolving to SERVICE's containers. On a user-defined network every service
    /// already reaches another by its name; the alias is added to SERVICE's names on its networks (so every container of
    /// the project resolves it, not only the linking one).</summary>
    private IReadOnlyList<ServiceDependency> ReadLinks(ComposeCursor cursor, IReadOnlyList<ServiceDependency> dependsOn)
    {
        var result = dependsOn.ToList();
        foreach (var item in cursor.Sequence())
        {
            if (item.Scalar() is not { } link) continue;
            var parts = link.Split(':');
            if (parts.Length > 2 || parts.Any(p => p.Length == 0))
            {
                item.Error($"\"{link}\" is not a link (SERVICE or SERVICE:ALIAS)");
                continue;
            }
            if (result.All(d => d.Service != parts[0])) result.Add(new ServiceDependency(parts[0], DependencyCondition.Started));
            if (parts.Length == 2 && parts[1] != parts[0])
            {
                if (!LinkAliases.TryGetValue(parts[0], out var aliases)) LinkAliases[parts[0]] = aliases = new SortedSet<string>(StringComparer.Ordinal);
                aliases.Add(parts[1]);
            }
        }
        return result;
    }

    /// <summary>A service's <c>platform</c> is accepted when it is this host's (the images are local; nothing is pulled or
    /// emulated): another one is an error naming both.</summary>
    private static void CheckPlatform(ComposeCursor cursor)
    {
        if (cursor.Scalar() is not { } platform) return;
        var host = HostPlatform;
        var parts = platform.ToLowerInvariant().Split('/');
        var arch = parts.Length > 1 ? parts[1] switch { "x86_64" or "x86-64" => "amd64", "aarch64" => "arm64", var a => a } : host.Arch;
        if (parts[0] != "linux" || arch != host.Arch)
            cursor.Error($"platform \"{platform}\" is not this host's (linux/{host.Arch}): the agent runs local images on this host's platform only");
    }

    private static (string Arch, string Os) HostPlatform => (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        var other => other.ToString().ToLowerInvariant(),
    }, "linux");

    private IReadOnlyList<ServiceDependency> ReadDependsOn(ComposeCursor cursor, string owner)
    {
        var result = new List<ServiceDependency>();
        if (cursor.IsSequence)
        {
            foreach (var item in cursor.Sequence())
                if (item.Scalar() is { } name) result.Add(new ServiceDependency(name, DependencyCondition.Started));
            return result;
        }
        foreach (var (name, value) in cursor.Entries())
        {
            var f = value.Mapping(["condition", "required", "restart"], "depends_on field");
            if (f is null) continue;
            var condition = DependencyCondition.Started;
            if (f.TryGetValue("condition", out var c))
                switch (c.Scalar())
                {
                    case "service_started": break;
                    case "service_healthy": condition = DependencyCondition.Healthy; break;
                    case "service_completed_successfully": condition = DependencyCondition.Completed; break;
                    case { } other: c.Error($"\"{other}\" is not a condition (service_started, service_healthy, service_completed_successfully)"); break;
                }
            if (f.TryGetValue("required", out var r) && r.Bool() == false) optional.Add((owner, name));
            result.Add(new ServiceDependency(name, condition) { Restart = f.TryGetValue("restart", out var rs) && (rs.Bool() ?? false) });
        }
        return result;
    }

    private sealed record Deploy(int? Replicas, ResourceLimits? Resources, RestartPolicy? Restart, UpdatePolicy? Update);

    public static readonly string[] SwarmOnlyDeployFields = ["placement", "labels", "endpoint_mode", "rollback_config"];

    private static Deploy? ReadDeploy(ComposeCursor cursor)
    {
        // probe-31 F12: placement, labels, endpoint_mode and rollback_config place or label a swarm service; like docker
        // compose outside a swarm, they are accepted and have no effect (on one host there is nothing to place).
        var f = cursor.Mapping(["replicas", "resources", "restart_policy", "update_config", "mode", .. SwarmOnlyDeployFields], "deploy field");
        if (f is null) return null;
        if (f.TryGetValue("mode", out var mode) && mode.Scalar() is { } m && m != "replicated") mode.Error($"deploy.mode \"{m}\" is not supported (replicated)");
        int? replicas = f.TryGetValue("replicas", out var r) ? r.Int(0, 1000) : null;

        ResourceLimits? resources = null;
        if (f.TryGetValue("resources", out var res) && res.Mapping(["limits", "reservations"], "resources field") is { } rf)
        {
            resources = ResourceLimits.None;
            if (rf.TryGetValue("limits", out var lim) && lim.Mapping(["cpus", "memory", "pids"], "limit") is { } lf)
                resources = new ResourceLimits(
                    lf.TryGetValue("memory", out var mem) ? mem.Size() : null,
                    lf.TryGetValue("cpus", out var cpu) ? Cpus(cpu) : null,
                    lf.TryGetValue("pids", out var pids) ? pids.Long(1) : null);
            if (rf.TryGetValue("reservations", out var resv) && resv.Mapping(["memory", "cpus"], "reservation") is { } vf)
            {
                if (vf.TryGetValue("memory", out var mem)) resources = resources with { MemoryReservationBytes = mem.Size() };
                if (vf.TryGetValue("cpus", out var cpu)) cpu.Error("reservations.cpus is not supported: the engine has no CPU reservation for a single container");
            }
        }

        RestartPolicy? restart = null;
        if (f.TryGetValue("restart_policy", out var rp) && rp.Mapping(["condition", "max_attempts", "delay", "window"], "restart_policy field") is { } pf)
        {
            var condition = pf.TryGetValue("condition", out var c) ? c.Scalar() : "any";
            var attempts = pf.TryGetValue("max_attempts", out var ma) ? ma.Int(0) ?? 0 : 0;
            foreach (var key in new[] { "delay", "window" })
                if (pf.TryGetValue(key, out var unsupported)) unsupported.Error($"restart_policy.{key} is not supported: the engine restarts with its own back-off");
            restart = condition switch
            {
                "none" => RestartPolicy.No,
                "on-failure" => new RestartPolicy(RestartMode.OnFailure, attempts),
                "any" => attempts > 0 ? Fail(c ?? rp, "max_attempts with condition: any is not supported by the engine (use on-failure)", RestartPolicy.Always) : RestartPolicy.Always,
                _ => Fail(c ?? rp, $"\"{condition}\" is not a restart condition (none, on-failure, any)", RestartPolicy.Always),
            };
        }

        UpdatePolicy? update = null;
        if (f.TryGetValue("update_config", out var uc)
            && uc.Mapping(["order", "failure_action", "monitor", "parallelism", "delay", "max_failure_ratio"], "update_config field") is { } uf)
        {
            var order = uf.TryGetValue("order", out var o) ? o.Scalar() : "stop-first";
            var strategy = order == "start-first" ? UpdateStrategy.StartFirst
                : order == "stop-first" ? UpdateStrategy.StopFirst
                : Fail(o!, $"\"{order}\" is not an order (stop-first, start-first)", UpdateStrategy.StopFirst);
            var action = uf.TryGetValue("failure_action", out var fa) ? fa.Scalar() : "pause";
            if (action is not ("rollback" or "pause" or "continue")) fa!.Error($"\"{action}\" is not a failure_action (rollback, pause, continue)");
            var monitor = uf.TryGetValue("monitor", out var mo) ? mo.Duration(DurationLimits.Agent) : null;
            if (uf.TryGetValue("parallelism", out var par) && par.Int(0) is > 1) par.Error("parallelism above 1 is not supported: replicas are updated one at a time");
            foreach (var key in new[] { "delay", "max_failure_ratio" })
                if (uf.TryGetValue(key, out var unsupported)) unsupported.Error($"update_config.{key} is not supported by the agent");
            update = new UpdatePolicy(strategy, action == "rollback", monitor is { } m2 && m2 > TimeSpan.Zero ? m2 : UpdatePolicy.Default.HealthTimeout);
        }
        return new Deploy(replicas, resources, restart, update);
    }
}
