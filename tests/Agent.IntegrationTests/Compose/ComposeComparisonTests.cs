using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>
/// The comparison corpus: one compose file applied by the agent and created by Debian's docker-compose 1.29
/// (`up --no-start`, same file), then compared field by field through `docker inspect`. Only names that carry the
/// project (volume names) and what each tool adds of its own (agent.* and com.docker.compose.* labels) are normalised.
/// </summary>
public sealed class ComposeComparisonTests : AgentScenario
{
    private const string Corpus = """
        services:
          app:
            image: busybox:1.35
            entrypoint: ["/bin/sh", "-c"]
            command: ["sleep 3600"]
            working_dir: /srv
            user: "1000:1000"
            hostname: apphost
            domainname: example.org
            environment:
              MODE: prod
              EMPTY: ""
            env_file: app.env
            labels:
              tier: backend
            ports:
              - "127.0.0.1::80"
              - target: 81
                protocol: udp
              - "9000"
            expose: ["3000"]
            volumes:
              - data:/data
              - type: volume
                source: cache
                target: /cache
                read_only: true
              - ./conf:/conf:ro
              - type: tmpfs
                target: /scratch
                tmpfs:
                  size: 1048576
            tmpfs: /run/app
            networks:
              default:
                aliases: [application]
            healthcheck:
              test: ["CMD", "true"]
              interval: 5s
              timeout: 2s
              retries: 4
              start_period: 10s
            restart: on-failure:3
            stop_signal: SIGINT
            stop_grace_period: 42s
            logging:
              driver: json-file
              options: { max-size: 1m, max-file: "2" }
            cap_drop: [NET_RAW]
            ulimits:
              nofile: { soft: 1024, hard: 2048 }
              nproc: 512
            mem_limit: 64m
            mem_reservation: 32m
            cpus: "0.5"
            cpu_shares: 512
            pids_limit: 100
            shm_size: 16m
            read_only: true
            init: true
            extra_hosts: ["db.local:10.0.0.5"]
            dns: [10.0.0.53]
            dns_search: [example.org]
            sysctls: [net.ipv4.tcp_syncookies=1]
            security_opt: ["no-new-privileges:true"]
          shell:
            image: busybox:1.35
            command: sleep 3600
            environment: [A=1, "B=two words"]
            healthcheck:
              test: exit 0
            restart: unless-stopped
            stop_signal: SIGKILL
            depends_on: [app]
        volumes:
          data: {}
          cache: {}
        """;

    /// <summary>Every compared field, by name, as a Go template over `docker inspect` or a normalising function.</summary>
    private static readonly (string Field, Func<JsonNode, string, string> Read)[] Fields =
    [
        ("image", (c, _) => Json(c["Config"]!["Image"])),
        ("cmd", (c, _) => Json(c["Config"]!["Cmd"])),
        ("entrypoint", (c, _) => Json(c["Config"]!["Entrypoint"])),
        ("env", (c, _) => string.Join("\n", c["Config"]!["Env"]!.AsArray().Select(e => e!.GetValue<string>()).Order(StringComparer.Ordinal))),
        ("ports", (c, _) => Sorted(c["HostConfig"]!["PortBindings"])),
        ("exposed", (c, _) => Sorted(c["Config"]!["ExposedPorts"])),
        ("mounts", (c, p) => string.Join("\n", c["Mounts"]!.AsArray().Where(m => m!["Type"]!.GetValue<string>() != "tmpfs").Select(m => Mount(m!, p)).Order(StringComparer.Ordinal))),
        ("tmpfs", (c, _) => Tmpfs(c)),
        // At start the engine adds the short id and the hostname as aliases; the agent's containers run, 1.29's are only created.
        ("aliases", (c, _) => string.Join(",", c["NetworkSettings"]!["Networks"]!.AsObject().Single().Value!["Aliases"]!.AsArray()
            .Select(a => a!.GetValue<string>()).Where(a => a != c["Id"]!.GetValue<string>()[..12] && a != c["Config"]!["Hostname"]!.GetValue<string>())
            .Order(StringComparer.Ordinal))),
        ("labels", (c, _) => string.Join("\n", c["Config"]!["Labels"]!.AsObject()
            .Where(l => !l.Key.StartsWith("agent.", StringComparison.Ordinal) && !l.Key.StartsWith("com.docker.compose.", StringComparison.Ordinal))
            .Select(l => $"{l.Key}={l.Value}").Order(StringComparer.Ordinal))),
        ("compose labels", (c, p) => string.Join("\n", new[] { "service", "oneoff", "container-number", "project.working_dir" }
            .Select(k => $"{k}={c["Config"]!["Labels"]![$"com.docker.compose.{k}"]?.GetValue<string>()}")
            .Append($"project is its own: {c["Config"]!["Labels"]!["com.docker.compose.project"]?.GetValue<string>() == p}"))),
        ("healthcheck", (c, _) => Healthcheck(c["Config"]!["Healthcheck"])),
        ("resources", (c, _) => string.Join(" ", new[] { "Memory", "MemoryReservation", "NanoCpus", "CpuShares", "PidsLimit", "ShmSize" }.Select(k => $"{k}={c["HostConfig"]![k]}"))),
        ("restart", (c, _) => Json(c["HostConfig"]!["RestartPolicy"])),
        ("stop signal and timeout", (c, _) => $"{c["Config"]!["StopSignal"]} {c["Config"]!["StopTimeout"]}"),
        ("logging", (c, _) => Sorted(c["HostConfig"]!["LogConfig"])),
        ("caps", (c, _) => $"{Json(c["HostConfig"]!["CapAdd"])} {Json(c["HostConfig"]!["CapDrop"])}"),
        ("ulimits", (c, _) => Json(c["HostConfig"]!["Ulimits"])),
        ("identity", (c, _) => $"{Hostname(c)} {c["Config"]!["Domainname"]} {c["Config"]!["User"]} {c["Config"]!["WorkingDir"]}"),
        ("dns and hosts", (c, _) => $"{Json(c["HostConfig"]!["Dns"])} {Json(c["HostConfig"]!["DnsSearch"])} {Json(c["HostConfig"]!["ExtraHosts"])}"),
        ("hardening", (c, _) => $"ro={c["HostConfig"]!["ReadonlyRootfs"]} init={c["HostConfig"]!["Init"]} {Json(c["HostConfig"]!["SecurityOpt"])} {Sorted(c["HostConfig"]!["Sysctls"])}"),
    ];

    [Fact]
    public async Task Every_field_of_the_corpus_matches_what_docker_compose_creates()
    {
        var project = Instance.Name("cmp");
        var reference = Instance.Name("ref");
        Agent.Write($"{project}/compose.yaml", Corpus);
        Agent.Write($"{project}/app.env", "A=1\n");
        Agent.Write($"{project}/conf/settings", "x\n");
        var file = Path.Combine(Agent.Manifests, project, "compose.yaml");
        try
        {
            await DockerCompose.RunAsync(reference, file, "up", "--no-start");
            await Agent.StartAsync();
            await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(90));

            var differences = new List<string>();
            foreach (var service in new[] { "app", "shell" })
            {
                var ours = await InspectAsync($"{project}-{service}-1");
                var theirs = await InspectAsync($"{reference}_{service}_1");
                foreach (var (field, read) in Fields)
                {
                    string a = read(ours, project), b = read(theirs, reference);
                    if (a != b) differences.Add($"{service}.{field}:\n  agent:          {a}\n  docker-compose: {b}");
                }
            }
            Assert.True(differences.Count == 0, string.Join("\n", differences));
        }
        finally
        {
            await DockerCompose.DownAsync(reference, file);
        }
    }

    [Fact]
    public async Task A_built_service_gets_the_image_docker_compose_builds_under_the_compose_v2_name()
    {
        var project = Instance.Name("cmpbuild");
        var reference = Instance.Name("refbuild");
        Agent.Write($"{project}/app/Dockerfile", "FROM busybox:1.35 AS base\nARG GREETING=default\nRUN echo \"$GREETING\" > /greeting\n" +
            "FROM base AS run\nCOPY msg.txt /msg.txt\nCMD [\"sleep\", \"3600\"]\nFROM base AS unused\nRUN exit 1\n");
        Agent.Write($"{project}/app/msg.txt", "built\n");
        Agent.Write($"{project}/compose.yaml", "services:\n  web:\n    build:\n      context: ./app\n      args: [GREETING=hello]\n" +
            "      target: run\n      labels: { tier: web }\n    stop_signal: SIGKILL\n");
        var file = Path.Combine(Agent.Manifests, project, "compose.yaml");
        await DockerCompose.RunAsync(reference, file, "build");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(120));

        // Compose v2 names the image <project>-<service>, as the agent does; 1.29 named it <project>_<service>.
        string ours = $"{project}-web", theirs = $"{reference}_web";
        foreach (var format in new[] { "{{json .Config.Cmd}}", "{{json .Config.Entrypoint}}", "{{.Config.WorkingDir}}", "{{index .Config.Labels \"tier\"}}" })
            Assert.Equal(await DockerCli.RunAsync("image", "inspect", "--format", format, theirs), await DockerCli.RunAsync("image", "inspect", "--format", format, ours));
        Assert.Equal(await DockerCli.RunAsync("run", "--rm", theirs, "cat", "/greeting", "/msg.txt"), await DockerCli.RunAsync("run", "--rm", ours, "cat", "/greeting", "/msg.txt"));
        Assert.Equal("hello\nbuilt", await DockerCli.RunAsync("exec", $"{project}-web-1", "cat", "/greeting", "/msg.txt"));
    }

    internal static async Task<JsonNode> InspectAsync(string name) => JsonNode.Parse(await DockerCli.RunAsync("inspect", name))!.AsArray()[0]!;

    /// <summary>JSON text; an absent list and an empty one mean the same to the engine.</summary>
    internal static string Json(JsonNode? node) => node is null or JsonArray { Count: 0 } ? "[]" : node.ToJsonString();

    /// <summary>An unset interval, timeout or retries is the engine's default (30s, 30s, 3): written out for both.</summary>
    private static string Healthcheck(JsonNode? node)
    {
        if (node is null) return "none";
        long Value(string key, long fallback) => node[key] is { } v && v.GetValue<long>() != 0 ? v.GetValue<long>() : fallback;
        return $"{Json(node["Test"])} interval={Value("Interval", 30_000_000_000)} timeout={Value("Timeout", 30_000_000_000)} " +
               $"retries={Value("Retries", 3)} start={Value("StartPeriod", 0)}";
    }

    /// <summary>A hostname the file does not set is the container's short id, different for every container.</summary>
    private static string Hostname(JsonNode c)
    {
        var hostname = c["Config"]!["Hostname"]!.GetValue<string>();
        return hostname == c["Id"]!.GetValue<string>()[..12] ? "(container id)" : hostname;
    }

    internal static string Sorted(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{Sorted(p.Value)}")) + "}",
        _ => Json(node),
    };

    private static string Mount(JsonNode m, string project)
    {
        var type = m["Type"]!.GetValue<string>();
        var source = type == "volume" ? m["Name"]!.GetValue<string>().Replace(project, "PROJECT") : m["Source"]!.GetValue<string>();
        return $"{type} {source} -> {m["Destination"]} rw={m["RW"]}";
    }

    /// <summary>tmpfs mounts, whether made through HostConfig.Tmpfs or HostConfig.Mounts, with their size.</summary>
    private static string Tmpfs(JsonNode c)
    {
        var result = new List<string>();
        if (c["HostConfig"]!["Tmpfs"] is JsonObject tmpfs)
            foreach (var (target, options) in tmpfs)
                result.Add($"{target} {(options?.GetValue<string>() is { Length: > 0 } o ? o.Replace("size=", "") : "-")}");
        if (c["HostConfig"]!["Mounts"] is JsonArray mounts)
            foreach (var m in mounts.Where(m => m!["Type"]!.GetValue<string>() == "tmpfs"))
                result.Add($"{m!["Target"]} {m["TmpfsOptions"]?["SizeBytes"]?.ToString() ?? "-"}");
        return string.Join(",", result.Order(StringComparer.Ordinal));
    }
}
