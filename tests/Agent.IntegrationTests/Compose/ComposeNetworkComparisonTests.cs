using System.Text.Json.Nodes;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Compose.ComposeComparisonTests;

namespace Agent.IntegrationTests.Compose;

/// <summary>
/// The corpus's networks and volumes: the same file created by Debian's docker-compose 1.29 (`up --no-start`, then taken
/// down again, since two projects cannot hold one subnet) and applied by the agent, compared through `docker inspect`:
/// network definitions (driver, options, ipam, internal, attachable, labels), volume definitions (driver, options,
/// labels) and each container's first network (aliases, fixed address). 1.29 joins only the first network before a
/// start; the agent's containers join every network, as the Compose Specification says, checked on their own.
/// </summary>
public sealed class ComposeNetworkComparisonTests : AgentScenario
{
    private static string Corpus(string net) => $$"""
        services:
          web:
            image: busybox:1.35
            command: sleep 3600
            stop_signal: SIGKILL
            networks:
              front:
                aliases: [www, portal]
                ipv4_address: {{net}}.200
                link_local_ips: [169.254.20.20]
                priority: 100
              back:
                aliases: [web-back]
                priority: 10
          db:
            image: busybox:1.35
            command: sleep 3600
            stop_signal: SIGKILL
            networks: [back]
            volumes: [data:/data, logs:/logs]
        networks:
          front:
            driver: bridge
            driver_opts: { com.docker.network.bridge.enable_icc: "true" }
            ipam:
              driver: default
              config:
                - subnet: {{net}}.0/24
                  gateway: {{net}}.1
                  ip_range: {{net}}.128/25
            labels: { team: shop }
            attachable: true
          back:
            internal: true
            labels: [tier=back]
        volumes:
          data:
            driver: local
            driver_opts: { type: tmpfs, device: tmpfs, o: size=1m }
            labels: { keep: "yes" }
          logs:
            labels: [kind=logs]
        """;

    [Fact]
    public async Task Networks_and_volumes_match_what_docker_compose_creates()
    {
        var project = Instance.Name("ncmp");
        var reference = Instance.Name("nref");
        // Outside every range another network on this host may hold: 10.240.0.0/12 is the engine's default pool (eng/ensure-engine.sh:
        // other tests' networks, and after an engine restart it hands out its first subnets again), 10.213-10.215 are
        // PrivateEngine's bridges and other tests' fixed subnets. A subnet of 10.240-10.249 overlapped one of them.
        var net = $"10.{216 + Random.Shared.Next(14)}.{Random.Shared.Next(1, 250)}";
        Agent.Write($"{project}/compose.yaml", Corpus(net));
        var file = Path.Combine(Agent.Manifests, project, "compose.yaml");
        Dictionary<string, string> theirs;
        try
        {
            await DockerCompose.RunAsync(reference, file, "up", "--no-start");
            theirs = await ReadAsync(reference, "_", "_1");
        }
        finally
        {
            await DockerCompose.DownAsync(reference, file);
        }

        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(90));
        var ours = await ReadAsync(project, "-", "-1");
        var differences = theirs.Where(t => ours.GetValueOrDefault(t.Key) != t.Value)
            .Select(t => $"{t.Key}:\n  agent:          {ours.GetValueOrDefault(t.Key)}\n  docker-compose: {t.Value}").ToList();
        Assert.True(differences.Count == 0, string.Join("\n", differences));

        // Beyond 1.29's --no-start: web is on both of its networks, with its aliases on each.
        var web = await InspectAsync($"{project}-web-1");
        var networks = web["NetworkSettings"]!["Networks"]!.AsObject();
        Assert.Equal([$"{project}_back", $"{project}_front"], networks.Select(n => n.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("web-back", networks[$"{project}_back"]!["Aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal($"{net}.200", networks[$"{project}_front"]!["IPAddress"]!.GetValue<string>());
        // link_local_ips as the specification documents it (1.29 drops it from this file): the endpoint's extra address.
        Assert.Equal("[\"169.254.20.20\"]", networks[$"{project}_front"]!["IPAMConfig"]!["LinkLocalIPs"]!.ToJsonString());
        Assert.Contains("inet 169.254.20.20/16", await DockerCli.RunAsync("exec", $"{project}-web-1", "ip", "addr"));
        // docker-compose sees the agent's project: exactly its containers.
        Assert.Equal(2, (await DockerCompose.RunAsync(project, file, "ps", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>The compared facts of one project, keyed by what they are, with the project's name replaced.</summary>
    private static async Task<Dictionary<string, string>> ReadAsync(string project, string separator, string suffix)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var net in new[] { "front", "back" })
        {
            var n = JsonNode.Parse(await DockerCli.RunAsync("network", "inspect", $"{project}_{net}"))!.AsArray()[0]!;
            // Only "front" sets attachable and a pool: 1.29 makes every network attachable (v2 and the specification only when
            // set), and a pool the file does not set is whatever the engine hands out.
            facts[$"network {net}"] = $"driver={n["Driver"]} internal={n["Internal"]} ipv6={n["EnableIPv6"]} options={Options(n["Options"])} labels={Own(n["Labels"])}" +
                (net == "front" ? $" attachable={n["Attachable"]} ipam={n["IPAM"]!["Driver"]} {Sorted(n["IPAM"]!["Config"]![0])}" : "");
        }
        foreach (var volume in new[] { "data", "logs" })
        {
            var v = JsonNode.Parse(await DockerCli.RunAsync("volume", "inspect", $"{project}_{volume}"))!.AsArray()[0]!;
            facts[$"volume {volume}"] = $"driver={v["Driver"]} options={Options(v["Options"])} labels={Own(v["Labels"])}";
        }
        foreach (var service in new[] { "web", "db" })
        {
            var c = await InspectAsync($"{project}{separator}{service}{suffix}");
            var first = c["HostConfig"]!["NetworkMode"]!.GetValue<string>();
            var endpoint = c["NetworkSettings"]!["Networks"]!.AsObject().Single(e => e.Key == first || e.Value!["NetworkID"]!.GetValue<string>() == first);
            facts[$"{service} first network"] = $"{endpoint.Key.Replace(project, "PROJECT")} aliases=" +
                string.Join(",", endpoint.Value!["Aliases"]!.AsArray().Select(a => a!.GetValue<string>())
                    .Where(a => a != c["Id"]!.GetValue<string>()[..12] && a != c["Config"]!["Hostname"]!.GetValue<string>()).Order(StringComparer.Ordinal)) +
                $" address={endpoint.Value["IPAMConfig"]?["IPv4Address"]}";
        }
        return facts;
    }

    private static string Options(JsonNode? options) => options is JsonObject { Count: > 0 } ? Sorted(options) : "none";

    private static string Own(JsonNode? labels) => labels is JsonObject o
        ? string.Join(",", o.Where(l => !l.Key.StartsWith("agent.", StringComparison.Ordinal) && !l.Key.StartsWith("com.docker.compose.", StringComparison.Ordinal))
            .Select(l => $"{l.Key}={l.Value}").Order(StringComparer.Ordinal))
        : "";
}
