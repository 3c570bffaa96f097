using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Manifests;

public sealed class ManifestLoadingTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-manifests-");

    public void Dispose() => dir.Delete(recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(dir.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    // Absolute binds beside the folder (a missing one, a shared logs folder) are under the temp root allowed here.
    private static readonly SecurityPolicy Policy = new(new SecurityOptions { AllowedBindRoots = [Path.GetTempPath()] });

    private ManifestSet Load() => new ManifestFolder(dir.FullName).Load(Policy);

    private static string Group(string name, string extraSpec = "", string service = "    - name: web\n      image: busybox:1.35\n") =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n{extraSpec}  services:\n{service}";

    [Fact]
    public void A_service_may_not_bind_a_secret_file_a_GitRepository_names()
    {
        Write(".secrets/token", "t");
        var secrets = Path.Combine(dir.FullName, ".secrets");
        Write("repo.yaml", "apiVersion: agent/v1\nkind: GitRepository\nmetadata: { name: platform }\nspec:\n  url: https://git.example/p.git\n  ref: { branch: main }\n"
                           + $"  secretRef: {{ tokenFile: {secrets}/token }}\n");
        Write("g.yaml", Group("leak", service: $"    - name: web\n      image: busybox:1.35\n      volumes: [\"{secrets}:/s:ro\"]\n"));
        var error = Assert.Single(Load().Errors);
        Assert.Equal("g.yaml", error.File);
        Assert.Contains("spec.services[0].volumes[0]", error.ToString());
        Assert.Contains($"{secrets}/token", error.Message);
    }

    [Fact]
    public void A_service_may_ask_for_a_terminal_and_an_open_stdin_as_compose_tty_and_stdin_open()
    {
        Write("g.yaml", Group("term", service: "    - name: shell\n      image: busybox:1.35\n      tty: true\n      stdin: true\n    - name: plain\n      image: busybox:1.35\n"));
        var services = ((ServiceGroup)Load().Objects.Values.Single()).Spec.Services.ToDictionary(s => s.Name);
        Assert.Equal((true, true), (services["shell"].Container.Tty, services["shell"].Container.OpenStdin));
        Assert.Equal((null, null), (services["plain"].Container.Tty, services["plain"].Container.OpenStdin));
    }

    [Fact]
    public void One_broken_document_never_affects_the_others_in_the_same_file()
    {
        Write("all.yaml", Group("first") + "---\napiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: broken\nspec: {}\n---\n" + Group("third"));
        var set = Load();
        Assert.Equal(["first", "third"], set.Objects.Keys.Select(k => k.Name).Order());
        var error = Assert.Single(set.Errors);
        Assert.Equal("all.yaml", error.File);
        Assert.Equal(12, error.Line); // the '{' that is never closed, not the document's start (line 10)
        Assert.Equal(11, error.Column);
        Assert.Contains("this '{' is never closed with '}'", error.Message);
    }

    /// <summary>probe-39: "the parser stopped at line 9" of a 7-line file: its end of stream lies past the last line.</summary>
    [Fact]
    public void A_bracket_still_open_at_the_end_of_the_file_says_so_rather_than_a_line_past_its_end()
    {
        Write("open.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: open\n\n");
        var error = Assert.Single(Load().Errors);
        Assert.Equal((3, 11), (error.Line, error.Column));
        Assert.Contains("this '{' is never closed with '}' (the parser stopped at the end of the file", error.Message);
    }

    [Fact]
    public void Folders_are_read_recursively_and_hidden_files_are_skipped()
    {
        Write("a/b/deep.yml", Group("deep"));
        Write(".hidden/x.yaml", "not: [valid");
        Write(".skipped.yaml", "not: [valid");
        Write("notes.txt", "not yaml");
        var set = Load();
        Assert.Empty(set.Errors);
        Assert.Equal("deep", Assert.Single(set.Objects.Keys).Name);
        Assert.Equal(Path.Combine("a", "b", "deep.yml"), set.Objects.Values.Single().Source.File);
    }

    [Fact]
    public void Duplicate_objects_across_files_are_refused_at_the_second()
    {
        Write("a.yaml", Group("web"));
        Write("b.yaml", Group("web"));
        var set = Load();
        Assert.Equal("b.yaml:4:9: metadata.name: ServiceGroup/web is already defined at a.yaml:1:1", Assert.Single(set.Errors).ToString());
        Assert.Single(set.Objects);
    }

    [Fact]
    public void Group_dependencies_must_exist_form_no_cycle_and_respect_phases()
    {
        Write("a.yaml", Group("a", "  dependsOn: [b]\n"));
        Write("b.yaml", Group("b", "  dependsOn: [a]\n"));
        Write("c.yaml", Group("c", "  dependsOn: [nowhere]\n"));
        Write("d.yaml", Group("d", "  phase: foundation\n  dependsOn: [e]\n"));
        Write("e.yaml", Group("e", "  phase: support\n"));
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("a.yaml:6:14: spec.dependsOn: dependency cycle: a -> b -> a", errors);
        Assert.Contains("b.yaml:6:14: spec.dependsOn: dependency cycle: a -> b -> a", errors);
        Assert.Contains("c.yaml:6:15: spec.dependsOn[0]: no ServiceGroup \"nowhere\" in the manifests", errors);
        Assert.Contains(errors, e => e.StartsWith("d.yaml:7:15: spec.dependsOn[0]: \"e\" is in phase support", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Service_fields_are_normalised_once_at_load()
    {
        Write("env/api.env", "# comment\nexport A=1\nB=\"two words\"\nC=from-file\n");
        Write("static/index.html", "hi");
        Write("g.yaml", Group("g", "", """
                - name: api
                  image: busybox:1.35
                  command: sh -c 'echo "hi there"'
                  envFrom: [env/api.env]
                  env: { C: from-manifest, D: 4 }
                  ports: ["127.0.0.1:8080-8081:80-81/udp", "9000"]
                  volumes: ["data:/data", "./static:/www:ro"]
                  tmpfs: [/tmp, "/run:size=64m,ro"]
                  restart: on-failure:3
                  healthcheck: { test: "wget -qO- localhost", interval: 1m30s, startPeriod: 500ms }
                  resources: { memory: 128Mi, cpus: 500m, pids: 10 }
                  stopGracePeriod: 2s
            """));
        var set = Load();
        Assert.Empty(set.Errors);
        var service = ((ServiceGroup)set.Objects.Values.Single()).Spec.Services.Single();
        var c = service.Container;
        Assert.Equal(["sh", "-c", "echo \"hi there\""], c.Command);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "two words", ["C"] = "from-manifest", ["D"] = "4" }, c.Env);
        Assert.Equal(["127.0.0.1:8080:80/udp", "127.0.0.1:8081:81/udp", "9000/tcp"], c.Ports.Select(p => p.ToString()));
        Assert.Equal(new MountSpec(MountType.Volume, "g_data", "/data"), c.Mounts[0]);
        Assert.Equal(new MountSpec(MountType.Bind, Path.Combine(dir.FullName, "static"), "/www", true) { CreateSource = true, WrittenSource = "./static" }, c.Mounts[1]);
        Assert.Equal(new MountSpec(MountType.Tmpfs, null, "/tmp"), c.Mounts[2]);
        Assert.Equal(new MountSpec(MountType.Tmpfs, null, "/run", true) { SizeBytes = 64L << 20 }, c.Mounts[3]);
        Assert.Equal(new RestartPolicy(RestartMode.OnFailure, 3), c.Restart);
        Assert.Equal(["CMD-SHELL", "wget -qO- localhost"], c.Healthcheck!.Test);
        Assert.Equal(TimeSpan.FromSeconds(90), c.Healthcheck.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.Healthcheck.StartPeriod);
        Assert.Equal(new ResourceLimits(128L << 20, 500_000_000, 10), c.Resources);
        Assert.Equal(TimeSpan.FromSeconds(2), c.StopGracePeriod);
        Assert.Contains("envFrom:env/api.env", c.FileDigests.Keys);
        Assert.Contains("bind:/www", c.FileDigests.Keys);
    }

    [Fact]
    public void Only_read_only_binds_count_as_config_a_writable_bind_is_data_hashed_by_path()
    {
        Write("conf/app.conf", "a=1");
        Write("data/db.bin", "rows");
        Write("g.yaml", Group("g", "", "    - name: web\n      image: busybox:1.35\n      volumes: [\"./conf:/etc/app:ro\", \"./data:/data\"]\n"));
        string Hash() => Agent.Core.Planning.SpecHash.Of(((ServiceGroup)Load().Objects.Values.Single()).Spec.Services[0].Container, "g_default");
        var before = Hash();
        Write("data/db.bin", "more rows written by the container");
        Assert.Equal(before, Hash());
        Write("conf/app.conf", "a=2");
        Assert.NotEqual(before, Hash());
    }

    [Fact]
    public void A_read_only_bind_of_the_manifest_folder_or_above_is_hashed_by_path_so_writes_below_it_never_recreate()
    {
        Write("g.yaml", Group("g", "", "    - name: web\n      image: busybox:1.35\n      volumes: [\"./:/mf:ro\", \"./conf:/etc/app:ro\"]\n"));
        Write("conf/app.conf", "a=1");
        Write("other/data/db.bin", "rows");
        var digests = ((ServiceGroup)Load().Objects.Values.Single()).Spec.Services[0].Container.FileDigests;
        Assert.Equal(["bind:/etc/app"], digests.Keys.Where(k => k.StartsWith("bind:")));
    }

    [Fact]
    public void A_missing_relative_bind_inside_the_folder_is_created_later_and_a_missing_absolute_one_is_an_error()
    {
        Write("g.yaml", Group("g", "", "    - name: web\n      image: busybox:1.35\n      volumes: [\"./new-data:/data\"]\n"));
        var mount = ((ServiceGroup)Load().Objects.Values.Single()).Spec.Services[0].Container.Mounts.Single();
        Assert.True(mount.CreateSource);
        Assert.False(Directory.Exists(mount.Source)); // validate never creates anything

        var missing = Path.Combine(dir.FullName, "..", Path.GetRandomFileName());
        Write("g.yaml", Group("g", "", $"    - name: web\n      image: busybox:1.35\n      volumes: [\"{Path.GetFullPath(missing)}:/data\"]\n"));
        var error = Assert.Single(Load().Errors);
        Assert.Equal((9, "spec.services[0].volumes[0]"), (error.Line, error.Path));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void A_tmpfs_option_other_than_size_ro_rw_is_an_error_at_its_item()
    {
        Write("g.yaml", Group("g", "", "    - name: web\n      image: busybox:1.35\n      tmpfs: [/tmp, \"/run:exec,size=1m\"]\n"));
        var error = Assert.Single(Load().Errors);
        Assert.Equal((9, "spec.services[0].tmpfs[1]"), (error.Line, error.Path));
        Assert.Contains("tmpfs option \"exec\" is not supported", error.Message);
    }

    [Fact]
    public void Container_names_derived_from_two_groups_must_not_collide()
    {
        Write("a.yaml", Group("a", "", "    - name: b-c\n      image: busybox:1.35\n"));
        Write("b.yaml", Group("a-b", "", "    - name: c\n      image: busybox:1.35\n"));
        var set = Load();
        Assert.Equal(["a"], set.Objects.Keys.Select(k => k.Name));
        var error = Assert.Single(set.Errors);
        Assert.Equal(("b.yaml", "spec.services[0].name"), (error.File, error.Path));
        Assert.Contains("a-b-c-N", error.Message);
        Assert.Contains("a.yaml", error.Message);
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("0", 0)]
    public void Durations_parse_go_style(string text, long milliseconds)
    {
        Assert.True(Quantities.TryParseDuration(text, out var d));
        Assert.Equal(milliseconds, (long)d.TotalMilliseconds);
    }

    [Theory]
    [InlineData("128Mi", 134_217_728)]
    [InlineData("512m", 536_870_912)]
    [InlineData("1g", 1_073_741_824)]
    [InlineData("1G", 1_000_000_000)]
    [InlineData("64k", 65_536)]
    [InlineData("1000", 1000)]
    public void Sizes_parse_docker_and_kubernetes_units(string text, long bytes)
    {
        Assert.True(Quantities.TryParseSize(text, out var b));
        Assert.Equal(bytes, b);
    }

    [Theory]
    [InlineData("80", null, null, 80, "tcp")]
    [InlineData("8080:80", null, 8080, 80, "tcp")]
    [InlineData("127.0.0.1:8080:80", "127.0.0.1", 8080, 80, "tcp")]
    [InlineData("127.0.0.1::80", "127.0.0.1", null, 80, "tcp")]
    [InlineData("[::1]:6001:6001", "::1", 6001, 6001, "tcp")]
    [InlineData("53:53/udp", null, 53, 53, "udp")]
    public void Ports_parse_compose_short_syntax(string text, string? ip, int? host, int container, string protocol)
    {
        var mapping = Assert.Single(PortSyntax.Parse(text, out var error)!);
        Assert.Null(error);
        Assert.Equal(new PortMapping(ip, host, container, protocol), mapping);
    }
}
