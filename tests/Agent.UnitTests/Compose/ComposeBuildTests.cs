using Agent.Core.Build;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Compose;

/// <summary>A compose service's build: read as `docker compose` v2 reads it, through the code ServiceGroup build: uses.</summary>
public sealed class ComposeBuildTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-compose-build-");

    public void Dispose() => dir.Delete(recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(dir.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private ManifestSet Load(string services)
    {
        Write("shop/app/Dockerfile", "FROM busybox:1.35\nARG VERSION\nCOPY msg.txt /\n");
        Write("shop/app/msg.txt", "one\n");
        Write("shop/compose.yaml", "services:\n" + services);
        return new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);
    }

    private ContainerSpec Service(string services, string name = "web")
    {
        var set = Load(services);
        Assert.Empty(set.Errors.Select(e => e.ToString()));
        return ((ServiceGroup)set.Objects[new ObjectKey("ComposeProject", "shop")]).Spec.Services.Single(s => s.Name == name).Container;
    }

    private ManifestError Refused(string services)
    {
        var set = Load(services);
        Assert.Empty(set.Objects);
        return Assert.Single(set.Errors);
    }

    [Fact]
    public void A_context_string_builds_an_image_named_project_dash_service_as_compose_v2_names_it()
    {
        var web = Service("  web:\n    build: ./app\n");
        Assert.Equal("shop-web", web.Image);
        Assert.Equal(Path.Combine(dir.FullName, "shop/app"), web.Build!.Context);
        Assert.Equal("shop-web", web.Labels["com.docker.compose.image"]);
    }

    [Fact]
    public void The_mapping_form_reads_every_field_with_args_as_a_list_interpolated_and_taken_from_the_environment()
    {
        Write("shop/.env", "VERSION=1.4\nFROM_ENV=yes\n");
        var web = Service("  web:\n    image: shop/web:${VERSION}\n    build:\n      context: app\n      dockerfile: Dockerfile\n" +
                          "      args: [\"VERSION=${VERSION}\", FROM_ENV, UNSET]\n      target: run\n      labels: [team=web]\n");
        Assert.Equal("shop/web:1.4", web.Image);
        Assert.Equal(new Dictionary<string, string> { ["FROM_ENV"] = "yes", ["VERSION"] = "1.4" }, web.Build!.Args);
        Assert.Equal("run", web.Build.Target);
        Assert.Equal("web", web.Build.Labels["team"]);
    }

    [Fact]
    public void Cache_from_is_read_into_the_build_and_hashed_only_when_given()
    {
        var web = Service("  web:\n    build: { context: app, cache_from: [\"shop-web:previous\"] }\n");
        Assert.Equal(["shop-web:previous"], web.Build!.CacheFrom!);
        var plain = Service("  web:\n    build: { context: app }\n");
        Assert.Null(plain.Build!.CacheFrom);
        Assert.DoesNotContain("CacheFrom", System.Text.Json.JsonSerializer.Serialize(plain.Build));
    }

    [Fact]
    public void Args_as_a_map_and_an_inline_Dockerfile_without_a_context_use_the_project_directory()
    {
        var web = Service("  web:\n    build:\n      dockerfile_inline: |\n        FROM busybox:1.35\n      args: { A: 1 }\n");
        Assert.Equal(Path.Combine(dir.FullName, "shop"), web.Build!.Context);
        Assert.Equal("FROM busybox:1.35\n", web.Build.DockerfileInline);
        Assert.Equal("1", web.Build.Args["A"]);
    }

    [Fact]
    public void Build_args_taken_from_the_dot_env_file_are_masked_in_the_label_and_the_diff_like_environment_values()
    {
        // probe-17 F6: `agent diff` printed `~ build.args.NPM_TOKEN: EnvSecret-p17-QQQ -> EnvSecret-p17-NEW` and the
        // agent.spec label held the token in clear.
        Write("shop/.env", "NPM_TOKEN=EnvSecret-QQQ\nTAG=1.35\nPLAIN_FROM_ENV=v\n");
        const string Services = "  web:\n    image: shop-web:1\n    build:\n      context: ./app\n      args:\n        NPM_TOKEN: \"${NPM_TOKEN}\"\n        PLAIN_FROM_ENV:\n        VERSION: \"1\"\n";
        var web = Service(Services);
        Assert.Equal(["NPM_TOKEN", "PLAIN_FROM_ENV"], web.Build!.SecretArgs.Order(StringComparer.Ordinal));
        Assert.Equal("EnvSecret-QQQ", web.Build.Args["NPM_TOKEN"]); // the builder still gets the value
        var label = SpecDiff.Serialize(web);
        Assert.DoesNotContain("EnvSecret-QQQ", label);
        Assert.Contains("\"VERSION\":\"1\"", label);

        Write("shop/.env", "NPM_TOKEN=EnvSecret-NEW\nTAG=1.35\nPLAIN_FROM_ENV=v\n");
        var changed = Service(Services.Replace("VERSION: \"1\"", "VERSION: \"2\""));
        var lines = SpecDiff.Between(label, changed);
        Assert.Contains("~ build.args.NPM_TOKEN: (secret changed)", lines);
        Assert.Contains("~ build.args.VERSION: 1 -> 2", lines);
        Assert.DoesNotContain(lines, l => l.Contains("EnvSecret", StringComparison.Ordinal));
        // The spec hash still covers the value: a new token rebuilds, as before.
        Assert.NotEqual(SpecHash.Of(web), SpecHash.Of(web with { Build = web.Build with { Args = new Dictionary<string, string>(web.Build.Args) { ["NPM_TOKEN"] = "EnvSecret-NEW" } } }));
        Assert.Equal(SpecHash.Of(web), SpecHash.Of(web with { Build = web.Build with { SecretArgs = new HashSet<string>() } }));
    }

    [Fact]
    public void Only_the_service_whose_context_changed_gets_a_new_hash()
    {
        Write("shop/other/Dockerfile", "FROM busybox:1.35\n");
        const string Services = "  web:\n    build: ./app\n  other:\n    build: ./other\n";
        var web = Service(Services);
        var other = Service(Services, "other");
        Write("shop/app/msg.txt", "two\n");
        var set = new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);
        var services = ((ServiceGroup)set.Objects[new ObjectKey("ComposeProject", "shop")]).Spec.Services;
        Assert.NotEqual(SpecHash.Of(web), SpecHash.Of(services.Single(s => s.Name == "web").Container));
        Assert.Equal(SpecHash.Of(other), SpecHash.Of(services.Single(s => s.Name == "other").Container));
    }

    [Theory]
    [InlineData("build: https://github.com/docker/compose.git", "services.web.build", "remote build context")]
    [InlineData("build: { context: \"git@github.com:x/y.git\" }", "services.web.build.context", "remote build context")]
    [InlineData("build: ../..", "services.web.build", "outside the manifests folder")]
    [InlineData("build: /etc", "services.web.build", "outside the manifests folder")]
    [InlineData("build: { context: app, dockerfile: ../compose.yaml }", "services.web.build.dockerfile", "inside the build context")]
    [InlineData("build: { context: app, ssh: [default] }", "services.web.build.ssh", "not supported")]
    public void Unsupported_or_escaping_builds_are_errors_naming_the_field_and_line(string build, string path, string message)
    {
        var error = Refused("  web:\n    " + build + "\n");
        Assert.Equal(path, error.Path);
        Assert.Equal("shop/compose.yaml", error.File);
        Assert.Equal(3, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Pull_policy_build_needs_a_build_section()
    {
        Assert.Equal("shop-web", Service("  web:\n    build: ./app\n    pull_policy: build\n").Image);
        Assert.Contains("needs a build", Refused("  web:\n    image: x\n    pull_policy: build\n").Message);
    }

    [Fact]
    public void The_default_image_name_is_lowercase()
    {
        Assert.Equal("shop-web", BuildSpecs.DefaultImage("Shop", "Web"));
    }
}
