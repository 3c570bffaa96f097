using Agent.Core.Security;
using Agent.Sources;
using NJsonSchema;

namespace Agent.UnitTests.Manifests;

/// <summary>manifests/schema/*.schema.json and the loader agree: on the demo manifests, and on the broken corpus.</summary>
public sealed class SchemaAgreementTests
{
    private static readonly string Demo = Path.Combine(AppContext.BaseDirectory, "DemoManifests");

    /// <summary>Broken cases only the loader can see: references, files, cross-field rules, ranges a pattern cannot express.</summary>
    private static readonly HashSet<string> LoaderOnly = new(StringComparer.Ordinal)
    {
        "bad-cpus.yaml", "bad-volume-name.yaml", "command-unterminated-quote.yaml", "cyclic-service-dependency.yaml",
        "dangling-service-dependency.yaml", "duplicate-service.yaml", "env-from-missing-file.yaml", "extra-host-bad.yaml",
        "fixed-port-with-replicas.yaml", "healthcheck-bad-test.yaml", "missing-absolute-bind.yaml", "port-out-of-range.yaml", "port-range-mismatch.yaml",
        "rollback-without-healthcheck.yaml", "self-dependency.yaml", "service-agent-label.yaml", "start-first-with-fixed-port.yaml",
    };

    /// <summary>Not YAML at all (or not a JSON-compatible tree): neither can judge them as a schema instance.</summary>
    private static readonly HashSet<string> NotYaml = new(StringComparer.Ordinal)
    {
        "invalid-yaml-indent.yaml", "invalid-yaml-tab-indent.yaml", "invalid-yaml-unclosed-flow.yaml", "invalid-yaml-unclosed-flow-then-block.yaml", "duplicate-key.yaml",
    };

    private static async Task<JsonSchema> SchemaAsync() =>
        await JsonSchema.FromFileAsync(Path.Combine(Demo, "schema", "servicegroup.schema.json"));

    [Fact]
    public async Task Demo_manifests_pass_both_the_schema_and_the_loader()
    {
        var schema = await SchemaAsync();
        var all = Directory.GetFiles(Demo, "*.yaml", SearchOption.AllDirectories);
        var stacks = all.Where(f => Path.GetFileName(f) == "compose.yaml").ToList(); // drop-in compose stacks, not manifests
        var files = all.Except(stacks).ToList();
        Assert.True(files.Count >= 4);
        Assert.NotEmpty(stacks);
        var compose = await JsonSchema.FromFileAsync(Path.Combine(Demo, "schema", "compose-spec.json"));
        foreach (var stack in stacks)
            Assert.Empty(compose.Validate(Compose.ComposeJson.Of(stack).ToJsonString()));
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.StartsWith("# yaml-language-server: $schema=", text);
            foreach (var document in YamlToJson.Documents(text))
            {
                var kind = document!["kind"]!.GetValue<string>();
                var forKind = kind == "ServiceGroup" ? schema : await JsonSchema.FromFileAsync(Path.Combine(Demo, "schema", $"{kind.ToLowerInvariant()}.schema.json"));
                Assert.Empty(forKind.Validate(document.ToJsonString()));
            }
        }
        var set = new ManifestFolder(Demo).Load(SecurityPolicy.Default);
        Assert.Empty(set.Errors);
        Assert.Equal(files.Count + stacks.Count, set.Objects.Count);
    }

    [Theory]
    [MemberData(nameof(BrokenManifestCorpusTests.Cases), MemberType = typeof(BrokenManifestCorpusTests))]
    public async Task Schema_rejects_every_broken_case_except_those_only_the_loader_can_see(string file)
    {
        if (NotYaml.Contains(file)) return;
        var schema = await SchemaAsync();
        var text = await File.ReadAllTextAsync(Path.Combine(CorpusCase.Folder("broken"), file));
        var schemaErrors = YamlToJson.Documents(text).SelectMany(d => schema.Validate(d?.ToJsonString() ?? "null")).ToList();
        Assert.NotEmpty(CorpusCase.Load("broken", file).Errors);
        if (LoaderOnly.Contains(file)) Assert.Empty(schemaErrors);
        else Assert.NotEmpty(schemaErrors);
    }

    [Fact]
    public async Task The_schema_takes_build_in_place_of_image_and_rejects_unknown_build_fields()
    {
        var schema = await SchemaAsync();
        const string Good = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n    - name: web\n      build: BUILD\n";
        string Json(string build) => YamlToJson.Documents(Good.Replace("BUILD", build)).Single()!.ToJsonString();
        Assert.Empty(schema.Validate(Json("./app")));
        Assert.Empty(schema.Validate(Json("{ context: app, dockerfile: Dockerfile.prod, args: { V: 1 }, target: run, labels: { a: b } }")));
        Assert.Empty(schema.Validate(Json("{ dockerfileInline: \"FROM busybox:1.35\" }")));
        Assert.NotEmpty(schema.Validate(Json("{ context: app, dockerfile_inline: x }")));
        Assert.NotEmpty(schema.Validate(Json("[app]")));
    }

    [Fact]
    public async Task The_job_schemas_accept_what_the_loader_accepts_and_reject_unknown_fields()
    {
        var cron = await JsonSchema.FromFileAsync(Path.Combine(Demo, "schema", "cronjob.schema.json"));
        var job = await JsonSchema.FromFileAsync(Path.Combine(Demo, "schema", "job.schema.json"));
        const string Good = "apiVersion: agent/v1\nkind: CronJob\nmetadata: { name: b }\nspec:\n  schedule: \"@every 30s\"\n  jobTemplate:\n    backoffLimit: 1\n    container: { image: busybox:1.35, command: [\"true\"] }\n";
        Assert.Empty(cron.Validate(YamlToJson.Documents(Good).Single()!.ToJsonString()));
        Assert.NotEmpty(cron.Validate(YamlToJson.Documents(Good.Replace("backoffLimit: 1", "backoffLimit: 1\n    restartPolicy: Never")).Single()!.ToJsonString()));
        Assert.NotEmpty(cron.Validate(YamlToJson.Documents(Good.Replace("busybox:1.35,", "busybox:1.35, replicas: 2,")).Single()!.ToJsonString()));
        Assert.NotEmpty(cron.Validate(YamlToJson.Documents(Good.Replace("@every 30s", "* * *")).Single()!.ToJsonString()));
        const string OneOff = "apiVersion: agent/v1\nkind: Job\nmetadata: { name: m }\nspec:\n  activeDeadline: 5m\n  container: { image: busybox:1.35 }\n";
        Assert.Empty(job.Validate(YamlToJson.Documents(OneOff).Single()!.ToJsonString()));
        Assert.NotEmpty(job.Validate(YamlToJson.Documents(OneOff.Replace("5m", "five")).Single()!.ToJsonString()));
    }
}
