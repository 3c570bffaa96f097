using Agent.Core.Compose;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Xunit.Abstractions;

namespace Agent.UnitTests.Compose;

/// <summary>The agent's own JSON Schema validator (Compose/Schema) gives exactly the errors (position, field, message) the
/// NJsonSchema-based check gave, for a compose file using most fields and for each of its nodes replaced by values of
/// every JSON type, and each mapping given an unknown key.</summary>
public sealed class ComposeSchemaReferenceTests(ITestOutputHelper output)
{
    private const string Base = """
        name: demo
        x-common: &common
          restart: unless-stopped
        services:
          web:
            <<: *common
            image: nginx:1.25
            build:
              context: ./web
              dockerfile: Dockerfile
              args: { A: "1" }
              cache_from: [a, b]
            command: ["nginx", "-g", "daemon off;"]
            entrypoint: /bin/sh
            environment:
              A: 1
              B: "x"
              C: null
            env_file: [.env]
            ports:
              - "8080:80"
              - target: 443
                published: "8443"
                protocol: tcp
            volumes:
              - data:/data
              - type: tmpfs
                target: /tmp
                tmpfs: { size: 1000 }
              - type: bind
                source: ./conf
                target: /conf
                read_only: true
            healthcheck:
              test: ["CMD", "true"]
              interval: 10s
              retries: 3
            deploy:
              replicas: 2
              resources:
                limits: { cpus: "0.5", memory: 64M }
            depends_on:
              db:
                condition: service_healthy
            networks:
              front:
                aliases: [w]
                ipv4_address: 10.1.0.5
            labels: [a=b]
            cap_add: [NET_ADMIN]
            ulimits:
              nofile: { soft: 1024, hard: 2048 }
              nproc: 65535
            cpu_count: 2
            cpu_percent: 50
            oom_score_adj: 10
            pull_policy: always
            container_name: web1
            stop_grace_period: 5s
            secrets: [s1]
            configs:
              - source: c1
                target: /etc/c1
            extra_hosts: ["h:1.2.3.4"]
            logging:
              driver: json-file
              options: { max-size: 1m }
            sysctls: { net.core.somaxconn: 1024 }
            init: true
            read_only: false
            shm_size: 64m
            dns: 1.1.1.1
            expose: ["80"]
          db:
            image: postgres
            profiles: [x]
        networks:
          front:
            driver: bridge
            ipam:
              config:
                - subnet: 10.1.0.0/24
          ext:
            external: true
        volumes:
          data:
            driver: local
            labels: { a: b }
        secrets:
          s1:
            file: ./s1.txt
        configs:
          c1:
            content: hello
        """;

    private static readonly string[] Replacements = ["x", "\"1\"", "1", "1.5", "-5", "true", "null", "[a, b]", "[1, 1]", "{k: v}", "{}", "[]", "1000000", "\"\""];

    [Fact]
    public void The_own_validator_reports_what_NJsonSchema_reported_for_every_mutant_of_a_full_compose_file()
    {
        var errors = new List<ManifestError>();
        var root = ComposeYaml.Parse("c.yaml", Base, errors)!;
        Assert.Empty(errors);
        var cases = 0;
        var diffs = new List<string>();
        foreach (var mutant in Mutants(root))
        {
            cases++;
            var a = new List<ManifestError>();
            var b = new List<ManifestError>();
            ComposeSchema.Validate(mutant, a);
            OldComposeSchema.Validate(mutant, b);
            var x = string.Join("\n", a);
            var y = string.Join("\n", b);
            if (x != y) diffs.Add($"NEW:\n{x}\nOLD:\n{y}\n");
        }
        output.WriteLine($"{cases} cases, {diffs.Count} differ");
        foreach (var d in diffs.Take(15)) output.WriteLine(d);
        Assert.Empty(diffs);
    }

    private static IEnumerable<ComposeNode> Mutants(ComposeNode root)
    {
        yield return root;
        var paths = new List<List<object>>();
        Collect(root, [], paths);
        foreach (var path in paths)
        {
            foreach (var r in Replacements)
            {
                var errs = new List<ManifestError>();
                var node = ComposeYaml.Parse("r.yaml", "v: " + r, errs)!;
                var value = ((ComposeMapping)node).Entries[0].Value;
                yield return Replace(root, path, 0, _ => value);
            }
            yield return Replace(root, path, 0, n => n is ComposeMapping m
                ? m with { Entries = [.. m.Entries, new ComposeEntry("bogus_key", m.At, new ComposeScalar("1", false, m.At))] } : n);
        }
    }

    private static void Collect(ComposeNode node, List<object> path, List<List<object>> paths)
    {
        if (path.Count > 0) paths.Add(path);
        if (node is ComposeMapping m)
            for (var i = 0; i < m.Entries.Count; i++) Collect(m.Entries[i].Value, [.. path, i], paths);
        if (node is ComposeSequence s)
            for (var i = 0; i < s.Items.Count; i++) Collect(s.Items[i], [.. path, -1 - i], paths);
    }

    private static ComposeNode Replace(ComposeNode node, List<object> path, int depth, Func<ComposeNode, ComposeNode> f)
    {
        if (depth == path.Count) return f(node);
        var i = (int)path[depth];
        if (i >= 0 && node is ComposeMapping m)
            return m with { Entries = m.Entries.Select((e, k) => k == i ? e with { Value = Replace(e.Value, path, depth + 1, f) } : e).ToList() };
        var s = (ComposeSequence)node;
        return s with { Items = s.Items.Select((it, k) => k == -1 - i ? Replace(it, path, depth + 1, f) : it).ToList() };
    }
}
