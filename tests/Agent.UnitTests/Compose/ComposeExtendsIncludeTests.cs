using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Core.Sources;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Compose;

/// <summary><c>extends</c> and top-level <c>include</c> as Compose resolves them, and the source rules they keep.</summary>
public sealed class ComposeExtendsIncludeTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-compose-ext-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-compose-ext-state-");

    public void Dispose()
    {
        dir.Delete(recursive: true);
        state.Delete(recursive: true);
    }

    private string Abs(string relative) => Path.Combine(dir.FullName, relative);

    private void Write(string relative, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Abs(relative))!);
        File.WriteAllText(Abs(relative), text);
    }

    // Absolute binds beside the folder (a missing one, a shared logs folder) are under the temp root allowed here.
    private static readonly SecurityPolicy Policy = new(new SecurityOptions { AllowedBindRoots = [Path.GetTempPath()] });

    private ManifestSet Load() => new ManifestFolder(dir.FullName).Load(Policy);

    private List<string> Errors() => Load().Errors.Select(e => e.ToString()).ToList();

    private Dictionary<string, ServiceSpec> Services(string project)
    {
        var set = Load();
        Assert.Empty(set.Errors.Select(e => e.ToString()));
        return Assert.IsType<ServiceGroup>(set.Objects[new ObjectKey("ComposeProject", project)]).Spec.Services.ToDictionary(s => s.Name);
    }

    [Fact]
    public void Extends_in_the_same_file_merges_the_service_over_its_base_with_the_override_rules()
    {
        Write("app/compose.yaml", """
            services:
              base:
                image: busybox:1.35
                command: [sleep, "1"]
                environment: { A: base, B: base }
                labels: [tier=base]
                cap_drop: [NET_RAW]
                volumes: ["./data:/data:ro", "/srv/logs:/logs"]
              mid:
                extends: base
                environment: { B: mid }
              web:
                extends: { service: mid }
                command: [sleep, "2"]
                labels: { own: "yes" }
                cap_drop: [MKNOD]
                volumes: ["./other:/data"]
            """.Replace("/srv/logs", Abs("logs"))); // an absolute source must exist

        var web = Services("app")["web"].Container;
        Assert.Equal("busybox:1.35", web.Image);
        Assert.Equal(["sleep", "2"], web.Command!);                     // replaced
        Assert.Equal("base", web.Env["A"]);
        Assert.Equal("mid", web.Env["B"]);                             // merged by name, the nearer wins
        Assert.Equal("base", web.Labels["tier"]);
        Assert.Equal("yes", web.Labels["own"]);
        Assert.Equal(["MKNOD", "NET_RAW"], web.CapDrop.Order());        // appended
        Assert.Equal(Abs("app/other"), web.Mounts.Single(m => m.Target == "/data").Source); // merged by container path
        Assert.Contains(web.Mounts, m => m.Target == "/logs");
    }

    [Fact]
    public void Extends_from_another_file_resolves_its_relative_paths_against_that_files_folder()
    {
        Write("common/services.yaml", """
            services:
              sleeper:
                image: busybox:1.35
                env_file: common.env
                volumes: ["./conf:/conf:ro"]
            """);
        Write("common/common.env", "FROM_COMMON=1\n");
        Write("app/compose.yaml", """
            services:
              web:
                extends: { file: ../common/services.yaml, service: sleeper }
                environment: { OWN: "2" }
            """);
        var web = Services("app")["web"].Container;
        Assert.Equal("1", web.Env["FROM_COMMON"]);
        Assert.Equal("2", web.Env["OWN"]);
        Assert.Equal(Abs("common/conf"), web.Mounts.Single().Source);
        Assert.DoesNotContain(Load().Objects.Keys, k => k.Name == "common"); // an extended file is not an agent manifest
    }

    [Fact]
    public void Extends_cycles_and_missing_bases_are_errors_at_the_extends_field()
    {
        Write("c/compose.yaml", "services:\n  a:\n    extends: b\n  b:\n    extends: { service: a }\n  d:\n    image: busybox:1.35\n    extends: { service: ghost }\n  e:\n    image: busybox:1.35\n    extends: { file: nowhere.yaml, service: x }\n");
        var errors = Errors();
        Assert.Contains(errors, e => e.StartsWith("c/compose.yaml:3:14: services.a.extends: extends cycle: c/compose.yaml:a -> c/compose.yaml:b -> c/compose.yaml:a"));
        Assert.Contains(errors, e => e.StartsWith("c/compose.yaml:8:14: services.d.extends: extends service \"ghost\", which this file does not define"));
        Assert.Contains(errors, e => e.StartsWith("c/compose.yaml:11:22: services.e.extends.file: compose file \"c/nowhere.yaml\" not found"));
    }

    [Fact]
    public void Include_imports_another_project_with_its_own_directory_and_env_file()
    {
        Write("lib/db/compose.yaml", """
            services:
              db:
                image: busybox:${DB_TAG}
                env_file: db.env
            volumes:
              data: {}
            """);
        Write("lib/db/.env", "DB_TAG=1.35\n");
        Write("lib/db/db.env", "ROLE=db\n");
        Write("lib/cache.yaml", "services:\n  cache:\n    image: busybox:${CACHE_TAG}\n    volumes: [\"./cache-conf:/conf\"]\n");
        Write("lib/cache.override.yaml", "services:\n  cache:\n    environment: { OVERRIDDEN: \"yes\" }\n");
        Write("lib/cache.env", "CACHE_TAG=latest\n");
        Write("app/compose.yaml", """
            include:
              - ../lib/db/compose.yaml
              - path: [../lib/cache.yaml, ../lib/cache.override.yaml]
                project_directory: ../lib
                env_file: ../lib/cache.env
            services:
              web:
                image: busybox:1.35
                depends_on: [db, cache]
                volumes: ["data:/data"]
            """);
        var services = Services("app");
        Assert.Equal(["cache", "db", "web"], services.Keys.Order());
        Assert.Equal("busybox:1.35", services["db"].Container.Image);
        Assert.Equal("db", services["db"].Container.Env["ROLE"]);
        Assert.Equal("busybox:latest", services["cache"].Container.Image);
        Assert.Equal("yes", services["cache"].Container.Env["OVERRIDDEN"]);
        Assert.Equal(Abs("lib/cache-conf"), services["cache"].Container.Mounts.Single().Source);
        Assert.Equal("app_data", services["web"].Container.Mounts.Single().Source); // the included volume belongs to this project
        Assert.Equal(["ComposeProject/app", "ComposeProject/db"], Load().Objects.Keys.Select(k => k.ToString()).Order()); // lib/db is a stack of its own too
    }

    [Fact]
    public void Included_files_beside_the_compose_file_are_not_manifests_and_the_folder_stays_a_project()
    {
        Write("shop/compose.yaml", "include: [db.yaml]\nservices:\n  web:\n    image: busybox:1.35\n");
        Write("shop/db.yaml", "services:\n  db:\n    image: busybox:1.35\n");
        Assert.Equal(["db", "web"], Services("shop").Keys.Order());
    }

    [Fact]
    public void Include_conflicts_and_cycles_are_errors()
    {
        Write("x/compose.yaml", "include: [a.yaml]\nservices:\n  web:\n    image: busybox:1.35\n");
        Write("x/a.yaml", "include: [b.yaml]\nservices:\n  web:\n    image: busybox:latest\n");
        Write("x/b.yaml", "include: [a.yaml]\nservices:\n  other:\n    image: busybox:1.35\n");
        var errors = Errors();
        Assert.Contains(errors, e => e.StartsWith("x/compose.yaml:3:3: services.web: service \"web\" is also defined by the included file x/a.yaml (line 3)"));
        Assert.Contains(errors, e => e.Contains("include cycle: x/compose.yaml -> x/a.yaml -> x/b.yaml -> x/a.yaml"));
    }

    [Fact]
    public void A_missing_or_empty_included_or_extended_file_holds_the_project_as_it_was()
    {
        Write("shop/compose.yaml", "include: [db.yaml]\nservices:\n  web:\n    extends: { file: base.yaml, service: base }\n");
        Write("shop/db.yaml", "services:\n  db:\n    image: busybox:1.35\n");
        Write("shop/base.yaml", "services:\n  base:\n    image: busybox:1.35\n");
        var store = new ManifestStore(new ManifestFolder(dir.FullName), SecurityPolicy.Default, new ManifestIndex(state.FullName), TimeProvider.System, NullLogger<ManifestStore>.Instance);
        store.Reload();
        var key = new ObjectKey("ComposeProject", "shop");
        var good = store.Get(key)!.Object;
        Assert.NotNull(good);

        foreach (var (file, broken) in new[] { ("db.yaml", ""), ("base.yaml", "  \n") })
        {
            var path = Abs("shop/" + file);
            var content = File.ReadAllText(path);
            File.WriteAllText(path, broken);
            store.Reload();
            var held = store.Get(key)!;
            Assert.True(held.IsBroken);
            Assert.Same(good, held.Object);                                    // held, never a deletion
            Assert.Contains(held.Errors, e => e.Message.Contains($"shop/{file}\" is empty"));
            File.Delete(path);
            store.Reload();
            Assert.Same(good, store.Get(key)!.Object);
            Assert.Contains(store.Get(key)!.Errors, e => e.Message.Contains($"shop/{file}\" not found"));
            File.WriteAllText(path, content);
        }
        store.Reload();
        Assert.False(store.Get(key)!.IsBroken);
    }
}
