using Agent.Core.Compose;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Compose;

/// <summary>ComposeProject manifests and stack folders load into the group model, stage by stage.</summary>
public sealed class ComposeProjectLoadingTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-compose-");

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

    private ServiceGroup Project(string name)
    {
        var set = Load();
        Assert.Empty(set.Errors.Select(e => e.ToString()));
        return Assert.IsType<ServiceGroup>(set.Objects[new ObjectKey("ComposeProject", name)]);
    }

    private const string Manifest = "apiVersion: agent/v1\nkind: ComposeProject\nmetadata: { name: shop }\nspec:\n";

    [Fact]
    public void A_stack_folder_without_a_manifest_is_a_project_named_after_the_folder()
    {
        Write("My.Stack/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n");
        var project = Project("mystack");
        Assert.Equal("web", Assert.Single(project.Spec.Services).Name);
        Assert.Equal("My.Stack/compose.yaml", project.Source.File);
        Assert.Equal(Path.Combine(dir.FullName, "My.Stack"), project.Compose!.WorkingDir);
    }

    [Fact]
    public void An_unlimited_hard_ulimit_takes_any_soft_one_and_a_real_time_priority_is_an_error_at_its_line()
    {
        Write("ok/compose.yaml", "services:\n  db:\n    image: busybox:1.35\n    ulimits: { memlock: { soft: 65536, hard: -1 }, nofile: { soft: -1, hard: -1 } }\n");
        Write("rt/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    ulimits:\n      rtprio: 99\n");
        var set = Load();
        var db = Assert.IsType<ServiceGroup>(set.Objects[new ObjectKey("ComposeProject", "ok")]).Spec.Services.Single().Container;
        Assert.Equal([new UlimitSpec("memlock", 65536, -1), new UlimitSpec("nofile", -1, -1)], db.Ulimits);
        var error = Assert.Single(set.Errors);
        Assert.Equal("rt/compose.yaml", error.File);
        Assert.Contains("ulimits.rtprio", error.ToString());
        Assert.Contains("real-time priority", error.Message);
    }

    [Fact]
    public void Other_yaml_beside_the_compose_file_never_un_makes_the_project_and_only_a_broken_file_is_reported()
    {
        Write("stack/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n");
        Write("stack/prometheus.yml", "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
        Write("stack/docker-compose.ci.yml", "services:\n  web:\n    environment: { CI: \"1\" }\n");
        Write("stack/list.yaml", "- a\n- b\n");
        Write("stack/x.yaml", "services: [oops\n  a: b\n");
        var set = Load();
        Assert.Equal("web", Assert.Single(Assert.IsType<ServiceGroup>(set.Objects[new ObjectKey("ComposeProject", "stack")]).Spec.Services).Name);
        Assert.Equal(["stack/x.yaml"], set.Errors.Select(e => e.File).Distinct()); // broken: reported, but the project stays
        Assert.Empty(set.BrokenKeys);
    }

    [Fact]
    public void An_agent_manifest_in_a_stack_folder_holds_the_project_it_was_and_is_plainly_a_manifest_in_a_folder_that_never_was_one()
    {
        Write("stack/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n");
        Write("stack/group.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services: [{ name: s, image: busybox:1.35 }]\n");
        var folder = new ManifestFolder(dir.FullName);
        var parsed = folder.Parse(folder.Read(), SecurityPolicy.Default);
        var project = new ObjectKey("ComposeProject", "stack");

        var fresh = ManifestSet.Build(ManifestSet.WithoutNewAmbiguousStacks(parsed, _ => false));
        Assert.Empty(fresh.Errors);
        Assert.Equal([new ObjectKey("ServiceGroup", "g")], fresh.Objects.Keys);

        var held = ManifestSet.Build(ManifestSet.WithoutNewAmbiguousStacks(parsed, key => key == project));
        Assert.Contains(project, held.BrokenKeys);
        var error = Assert.Single(held.Errors);
        Assert.Equal("stack/compose.yaml", error.File);
        Assert.Contains("stack/group.yaml:1", error.Message);
        Assert.Contains(new ObjectKey("ServiceGroup", "g"), held.Objects.Keys);
    }

    [Fact]
    public void A_compose_service_writing_to_its_own_data_bind_keeps_its_spec_hash_only_read_only_config_counts()
    {
        Write("stack/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    volumes: [\"./data:/data\", \"./conf:/etc/app:ro\", \"./:/stack:ro\"]\n");
        Write("stack/data/log", "one");
        Write("stack/conf/app.conf", "a=1");
        string Hash() => Agent.Core.Planning.SpecHash.Of(Project("stack").Spec.Services[0].Container, "stack_default");
        var before = Hash();
        Write("stack/data/log", "one\ntwo"); // the container's own writes (probe-15c G18: recreated every resync)
        Assert.Equal(before, Hash());
        Write("stack/conf/app.conf", "a=2");
        Assert.NotEqual(before, Hash());
    }

    [Fact]
    public void A_missing_relative_short_bind_is_created_later_and_any_other_missing_source_is_refused_at_load()
    {
        Write("stack/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    volumes: [\"./data:/data\"]\n");
        var mount = Project("stack").Spec.Services[0].Container.Mounts.Single();
        Assert.True(mount.CreateSource); // as Compose's short syntax (probe-15c G17: the engine refused the create after the old container was gone)
        Assert.False(Directory.Exists(mount.Source)); // validate never creates anything

        var missing = Path.GetFullPath(Path.Combine(dir.FullName, "..", Path.GetRandomFileName()));
        Write("stack/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    volumes:\n"
                                    + "      - { type: bind, source: ./long, target: /long }\n"
                                    + "      - { type: bind, source: ./made, target: /made, bind: { create_host_path: true } }\n"
                                    + $"      - \"{missing}:/abs\"\n");
        var errors = Load().Errors;
        Assert.Equal(2, errors.Count());
        Assert.All(errors, e => Assert.Contains("does not exist", e.Message));
        Assert.Equal([5, 7], errors.Select(e => e.Line).Order());
    }

    [Fact]
    public void Compose_files_are_never_read_as_agent_manifests()
    {
        Write("stack/docker-compose.yml", "services:\n  web:\n    image: busybox:1.35\n");
        Write("stack/docker-compose.override.yml", "services:\n  web:\n    environment: { A: \"1\" }\n");
        Write("shop/shop.yaml", Manifest + "  files: [compose.base.yaml, compose.prod.yaml]\n");
        Write("shop/compose.base.yaml", "services:\n  api:\n    image: busybox:1.35\n");
        Write("shop/compose.prod.yaml", "services:\n  api:\n    environment: [MODE=prod]\n");
        var set = Load();
        Assert.Empty(set.Errors);
        Assert.Equal(["ComposeProject/shop", "ComposeProject/stack"], set.Objects.Keys.Select(k => k.ToString()).Order());
        Assert.Equal("1", Project("stack").Spec.Services[0].Container.Env["A"]);
        Assert.Equal("prod", Project("shop").Spec.Services[0].Container.Env["MODE"]);
    }

    [Fact]
    public void A_folder_with_its_own_manifest_is_not_detected_again()
    {
        Write("shop/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n");
        Write("shop/project.yaml", Manifest + "  files: [compose.yaml]\n");
        Assert.Equal("ComposeProject/shop", Assert.Single(Load().Objects.Keys).ToString());
    }

    [Fact]
    public void Anchors_merge_keys_and_extensions_load_as_compose_reads_them()
    {
        Write("app/compose.yaml", """
            x-common: &common
              image: busybox:1.35
              environment: { LEVEL: base, KEEP: yes }
              restart: always
            x-logging: &logging
              driver: json-file
              options: { max-size: 1m }
            services:
              a:
                <<: *common
                environment: { LEVEL: own }
                logging: *logging
              b:
                <<: [*common]
                x-note: ignored
                restart: "no"
            """);
        var services = Project("app").Spec.Services.ToDictionary(s => s.Name);
        Assert.Equal("busybox:1.35", services["a"].Container.Image);
        Assert.Equal("own", services["a"].Container.Env["LEVEL"]);
        Assert.False(services["a"].Container.Env.ContainsKey("KEEP")); // a merge key replaces whole values, it does not deep-merge
        Assert.Equal(RestartMode.Always, services["a"].Container.Restart.Mode);
        Assert.Equal("1m", services["a"].Container.Logging!.Options["max-size"]);
        Assert.Equal(RestartMode.No, services["b"].Container.Restart.Mode);
    }

    [Fact]
    public void Interpolation_reads_the_env_file_and_the_manifest_environment_wins()
    {
        Write("shop/.env", "TAG=1.0\nPORT=8080\nNAME=\"from env\"\n");
        Write("shop/compose.yaml", "services:\n  web:\n    image: busybox:${TAG}\n    ports: [\"127.0.0.1:${PORT}:80\"]\n    environment:\n      NAME: $NAME\n      PRICE: $$5\n      FALLBACK: ${NOPE:-dflt}\n");
        Write("shop/shop.yaml", Manifest + "  files: [compose.yaml]\n  environment: { TAG: \"1.35\" }\n");
        var web = Project("shop").Spec.Services[0].Container;
        Assert.Equal("busybox:1.35", web.Image);
        Assert.Equal(8080, web.Ports[0].HostPort);
        Assert.Equal("from env", web.Env["NAME"]);
        Assert.Equal("$5", web.Env["PRICE"]);
        Assert.Equal("dflt", web.Env["FALLBACK"]);
    }

    [Fact]
    public void Override_files_merge_with_compose_rules()
    {
        Write("p/compose.yaml", """
            services:
              web:
                image: busybox:1.35
                command: ["sleep", "1"]
                environment: [A=1, B=1]
                labels: { tier: web }
                ports: ["8080:80"]
                volumes: ["data:/data", "./conf:/conf:ro"]
                cap_drop: [NET_RAW]
            volumes: { data: {} }
            """);
        Write("p/compose.override.yaml", """
            services:
              web:
                image: busybox:latest
                command: sleep 2
                environment: { B: "2", C: "3" }
                labels: [owner=me]
                ports: ["9090:90"]
                volumes: ["./other:/conf"]
            """);
        var web = Project("p").Spec.Services[0].Container;
        Assert.Equal("busybox:latest", web.Image);
        Assert.Equal(["sleep", "2"], web.Command);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "2", ["C"] = "3" }, web.Env);
        Assert.Equal("web", web.Labels["tier"]);
        Assert.Equal("me", web.Labels["owner"]);
        Assert.Equal([80, 90], web.Ports.Select(p => p.ContainerPort));
        Assert.Equal(2, web.Mounts.Count);
        Assert.EndsWith("/p/other", web.Mounts.Single(m => m.Target == "/conf").Source);
        Assert.False(web.Mounts.Single(m => m.Target == "/conf").ReadOnly);
    }

    [Fact]
    public void Common_service_fields_map_onto_the_container_spec()
    {
        Write("full/compose.yaml", """
            name: ignored-the-folder-wins
            version: "3.9"
            services:
              app:
                image: busybox:1.35
                entrypoint: /bin/sh -c
                command: ["echo hi"]
                working_dir: /srv
                user: "1000:1000"
                hostname: app
                domainname: example.org
                ports:
                  - target: 80
                    host_ip: 127.0.0.1
                    protocol: udp
                  - "9000"
                expose: ["3000", "4000/udp"]
                volumes:
                  - type: volume
                    source: data
                    target: /data
                    read_only: true
                  - type: tmpfs
                    target: /cache
                    tmpfs: { size: 64m }
                tmpfs: /run
                healthcheck:
                  test: wget -q localhost
                  interval: 5s
                  timeout: 2s
                  retries: 4
                  start_period: 1m
                restart: on-failure:3
                stop_signal: SIGINT
                stop_grace_period: 1m30s
                read_only: true
                init: true
                cap_drop: [ALL]
                ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 }
                sysctls: [net.ipv4.tcp_syncookies=1]
                extra_hosts: ["db.local:10.0.0.5"]
                dns: 8.8.8.8
                dns_search: [example.org]
                shm_size: 128m
                mem_limit: 256m
                cpus: "0.5"
                pids_limit: 100
                pull_policy: never
                networks:
                  default:
                    aliases: [application]
                deploy:
                  replicas: 2
                  resources:
                    reservations: { memory: 64m }
                  update_config: { order: start-first, failure_action: rollback, monitor: 30s }
            volumes:
              data:
                driver_opts: { type: tmpfs, device: tmpfs }
            """);
        var service = Project("full").Spec.Services.Single();
        var c = service.Container;
        Assert.Equal(2, service.Replicas);
        Assert.Equal(new UpdatePolicy(UpdateStrategy.StartFirst, true, TimeSpan.FromSeconds(30)), service.Update);
        Assert.Equal(["/bin/sh", "-c"], c.Entrypoint);
        Assert.Equal(["echo hi"], c.Command);
        Assert.Equal(("/srv", "1000:1000", "app", "example.org"), (c.WorkingDir, c.User, c.Hostname, c.Domainname));
        Assert.Equal(2, c.Ports.Count);
        Assert.Equal([("127.0.0.1", 80, "udp"), (null, 9000, "tcp")], c.Ports.Select(p => (p.HostIp, p.ContainerPort, p.Protocol)));
        Assert.Equal(["3000/tcp", "4000/udp"], c.Expose);
        Assert.Contains(new MountSpec(MountType.Volume, "full_data", "/data", true), c.Mounts);
        Assert.Equal(64L << 20, c.Mounts.Single(m => m.Target == "/cache").SizeBytes);
        Assert.Contains(c.Mounts, m => m is { Type: MountType.Tmpfs, Target: "/run" });
        Assert.Equal(new[] { "CMD-SHELL", "wget -q localhost" }, c.Healthcheck!.Test);
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), 4, TimeSpan.FromMinutes(1)), (c.Healthcheck.Interval, c.Healthcheck.Timeout, c.Healthcheck.Retries, c.Healthcheck.StartPeriod));
        Assert.Equal(new RestartPolicy(RestartMode.OnFailure, 3), c.Restart);
        Assert.Equal(("SIGINT", TimeSpan.FromSeconds(90)), (c.StopSignal, c.StopGracePeriod));
        Assert.True(c.ReadOnlyRootFilesystem && c.Init);
        Assert.Equal([new UlimitSpec("nofile", 1024, 2048), new UlimitSpec("nproc", 512, 512)], c.Ulimits);
        Assert.Equal("1", c.Sysctls["net.ipv4.tcp_syncookies"]);
        Assert.Equal(["db.local:10.0.0.5"], c.ExtraHosts);
        Assert.Equal(["8.8.8.8"], c.Dns);
        Assert.Equal(["example.org"], c.DnsSearch);
        Assert.Equal(128L << 20, c.ShmSizeBytes);
        Assert.Equal((256L << 20, 500_000_000L, 100L, 64L << 20), (c.Resources.MemoryBytes!.Value, c.Resources.NanoCpus!.Value, c.Resources.PidsLimit!.Value, c.Resources.MemoryReservationBytes!.Value));
        Assert.Equal(PullPolicy.Never, c.ImagePullPolicy);
        Assert.Equal(["application"], c.NetworkAliases);
        Assert.Equal("full", c.Labels["com.docker.compose.project"]);
        Assert.Equal("app", c.Labels["com.docker.compose.service"]);
        Assert.Equal("False", c.Labels["com.docker.compose.oneoff"]);
    }

    [Fact]
    public void Env_files_of_a_service_load_with_path_and_required()
    {
        Write("e/compose.yaml", "services:\n  s:\n    image: busybox:1.35\n    env_file:\n      - common.env\n      - path: optional.env\n        required: false\n    environment: [FROM_FILE_OVERRIDDEN=yes, TAG]\n");
        Write("e/common.env", "export A=\"x y\" # c\nFROM_FILE_OVERRIDDEN=no\n");
        Write("e/.env", "TAG=7\n");
        var env = Project("e").Spec.Services[0].Container.Env;
        Assert.Equal("x y", env["A"]);
        Assert.Equal("yes", env["FROM_FILE_OVERRIDDEN"]);
        Assert.Equal("7", env["TAG"]);
    }

    [Fact]
    public void Profiles_enable_only_the_listed_services()
    {
        const string stack = "services:\n  web:\n    image: busybox:1.35\n  debug:\n    image: busybox:1.35\n    profiles: [debug]\n  tools:\n    image: busybox:1.35\n    profiles: [tools]\n";
        Write("plain/compose.yaml", stack);
        Write("q/compose.base.yaml", stack);
        Write("q/q.yaml", Manifest.Replace("shop", "q") + "  files: [compose.base.yaml]\n  profiles: [debug]\n");
        Assert.Equal(["web"], Project("plain").Spec.Services.Select(s => s.Name));
        Assert.Equal(["debug", "web"], Project("q").Spec.Services.Select(s => s.Name).Order());
    }

    [Fact]
    public void COMPOSE_PROFILES_in_the_projects_env_file_enables_profiles_unless_the_manifest_lists_its_own()
    {
        // probe-31 F8: a drop-in stack folder has no spec.profiles; docker compose reads COMPOSE_PROFILES from .env.
        const string stack = "services:\n  web:\n    image: busybox:1.35\n  debug:\n    image: busybox:1.35\n    profiles: [debug]\n  tools:\n    image: busybox:1.35\n    profiles: [tools]\n";
        Write("p/compose.yaml", stack);
        Write("p/.env", "COMPOSE_PROFILES=debug, tools\n");
        Write("q/compose.base.yaml", stack);
        Write("q/.env", "COMPOSE_PROFILES=debug,tools\n");
        Write("q/q.yaml", Manifest.Replace("shop", "q") + "  files: [compose.base.yaml]\n  profiles: [tools]\n");
        Assert.Equal(["debug", "tools", "web"], Project("p").Spec.Services.Select(s => s.Name).Order());
        Assert.Equal(["tools", "web"], Project("q").Spec.Services.Select(s => s.Name).Order());
    }

    [Fact]
    public void Tty_and_stdin_open_are_container_settings_and_off_leaves_the_spec_hash_as_before()
    {
        Write("t/compose.yaml", "services:\n  a:\n    image: busybox:1.35\n    tty: true\n    stdin_open: true\n  b:\n    image: busybox:1.35\n    tty: false\n");
        var services = Project("t").Spec.Services.ToDictionary(s => s.Name);
        Assert.True(services["a"].Container.Tty);
        Assert.True(services["a"].Container.OpenStdin);
        Assert.Null(services["b"].Container.Tty); // off is absent: the spec hash of a service without them is unchanged (HashPinTests)
        Assert.NotEqual(Agent.Core.Planning.SpecHash.Of(services["b"].Container), Agent.Core.Planning.SpecHash.Of(services["b"].Container with { Tty = true }));
    }

    [Fact]
    public void Links_are_a_dependency_and_an_alias_of_the_linked_service_as_compose_v2_applies_them()
    {
        // probe-31 F12: links refused the whole project.
        Write("l/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    links: [db:database, cache]\n    depends_on:\n      cache: { condition: service_healthy }\n" +
                                "  db:\n    image: busybox:1.35\n  cache:\n    image: busybox:1.35\n    healthcheck: { test: [\"CMD\", \"true\"] }\n    networks: [back]\n" +
                                "networks:\n  back: {}\n");
        var services = Project("l").Spec.Services.ToDictionary(s => s.Name);
        Assert.Equal([("cache", DependencyCondition.Healthy), ("db", DependencyCondition.Started)],
            services["web"].DependsOn.Select(d => (d.Service, d.Condition)).OrderBy(d => d.Service));
        Assert.Contains("database", services["db"].Container.NetworkAliases);
        Assert.DoesNotContain(services["cache"].Container.Networks!, n => n.Aliases.Contains("cache"));

        Write("bad/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    links: [\"a:b:c\", nope]\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("bad/compose.yaml:4:13: services.web.links[0]: \"a:b:c\" is not a link (SERVICE or SERVICE:ALIAS)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("bad/compose.yaml:", StringComparison.Ordinal) && e.Contains("nope", StringComparison.Ordinal));
    }

    [Fact]
    public void Platform_is_accepted_when_it_is_the_hosts_and_another_one_is_an_error_naming_both()
    {
        var arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64";
        var other = arch == "amd64" ? "arm64" : "amd64";
        Write("ok/compose.yaml", $"services:\n  web:\n    image: busybox:1.35\n    platform: linux/{arch}\n");
        Assert.Equal("web", Project("ok").Spec.Services.Single().Name);
        Write("no/compose.yaml", $"services:\n  web:\n    image: busybox:1.35\n    platform: linux/{other}\n");
        Assert.Contains($"no/compose.yaml:4:15: services.web.platform: platform \"linux/{other}\" is not this host's (linux/{arch})", Load().Errors.Select(e => e.ToString()).Single(e => e.StartsWith("no/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Swarm_only_deploy_fields_are_accepted_and_change_nothing_as_outside_a_swarm()
    {
        // probe-31 F12: deploy.placement, labels, endpoint_mode and rollback_config refused the whole project.
        Write("w/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    deploy:\n      replicas: 2\n      placement: { constraints: [node.role == manager] }\n" +
                                "      labels: { tier: web }\n      endpoint_mode: vip\n      rollback_config: { parallelism: 1 }\n");
        Write("plain/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    deploy:\n      replicas: 2\n");
        var (swarm, plain) = (Project("w").Spec.Services.Single(), Project("plain").Spec.Services.Single());
        Assert.Equal(2, swarm.Replicas);
        Assert.DoesNotContain("tier", swarm.Container.Labels.Keys);
        Assert.Equal(plain.Container.Labels.Where(l => !l.Key.StartsWith("com.docker.compose.project", StringComparison.Ordinal)),
            swarm.Container.Labels.Where(l => !l.Key.StartsWith("com.docker.compose.project", StringComparison.Ordinal)));
    }

    [Fact]
    public void Unsupported_fields_are_errors_naming_the_field_with_file_line_and_column()
    {
        Write("u/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    oom_score_adj: 100\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      start_interval: 1s\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("u/compose.yaml:4:5: services.web.oom_score_adj: service field \"oom_score_adj\" is not supported"));
        Assert.Contains(errors, e => e.StartsWith("u/compose.yaml:7:23: services.web.healthcheck.start_interval: start_interval is not supported"));
    }

    [Fact]
    public void Unsupported_fields_list_the_supported_ones_once_per_mapping()
    {
        // probe-21: every unsupported key of a service repeated the whole list of supported ones.
        Write("m/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    oom_score_adj: 100\n    external_links: [db]\n  db:\n    image: busybox:1.35\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("m/compose.yaml:4:5: services.web.oom_score_adj: service field \"oom_score_adj\" is not supported by the agent (supported: ", StringComparison.Ordinal)
                                     && e.Contains("environment", StringComparison.Ordinal));
        Assert.Contains("m/compose.yaml:5:5: services.web.external_links: service field \"external_links\" is not supported by the agent (supported: as listed above)", errors);
    }

    [Fact]
    public void Interpolation_errors_point_at_the_value()
    {
        Write("i/compose.yaml", "services:\n  web:\n    image: busybox:${TAG:?set TAG in .env}\n");
        Assert.Equal("i/compose.yaml:3:12: services.web.image: required variable TAG is missing: set TAG in .env", Assert.Single(Load().Errors).ToString());
    }

    [Fact]
    public void Semantic_checks_refuse_undefined_and_cyclic_references()
    {
        Write("s/compose.yaml", "services:\n  a:\n    image: busybox:1.35\n    depends_on: [b]\n  b:\n    image: busybox:1.35\n    depends_on: { a: { condition: service_healthy } }\n  c:\n    image: busybox:1.35\n    depends_on: [c, ghost]\n  d:\n    image: busybox:1.35\n    volumes: [nope:/x]\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains("services.d.volumes[0]: volume \"nope\" is not declared"));
        Assert.Contains(errors, e => e.Contains("services.c.depends_on: service \"c\" cannot depend on itself"));
        Assert.Contains(errors, e => e.Contains("depends on undefined service \"ghost\""));
        Assert.Contains(errors, e => e.Contains("dependency cycle: a -> b -> a"));
    }

    [Fact]
    public void A_service_that_lists_only_undeclared_networks_has_that_one_error_and_an_empty_declared_list_says_none()
    {
        // probe-65 L2: "not declared" came with a wrong second error, "lists no network", and volumes said "(declared: )".
        Write("n/compose.yaml", "services:\n  a:\n    image: busybox:1.35\n    networks: [nonet]\n    volumes: [v:/x]\n");
        Assert.Equal(
        [
            "n/compose.yaml:4:16: services.a.networks[0]: network \"nonet\" is not declared under the top-level networks (declared: default)",
            "n/compose.yaml:5:15: services.a.volumes[0]: volume \"v\" is not declared under the top-level volumes (none declared)",
        ], Load().Errors.Select(e => e.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_empty_networks_list_still_lists_no_network()
    {
        Write("n/compose.yaml", "services:\n  a:\n    image: busybox:1.35\n    networks: []\n");
        Assert.Contains("lists no network", Assert.Single(Load().Errors).Message);
    }

    [Fact]
    public void A_dependency_left_out_by_its_profiles_is_disabled_not_undefined_and_never_enabled_by_itself()
    {
        // probe-65 L3: "depends on undefined service \"a\" (services: b)" for a service defined with profiles: [x, y].
        Write("p/compose.yaml", "services:\n  a:\n    image: busybox:1.35\n    profiles: [x, y]\n  b:\n    image: busybox:1.35\n    depends_on: [a]\n" +
                                "  c:\n    image: busybox:1.35\n    network_mode: service:a\n");
        var errors = Load().Errors.OrderBy(e => e.Line).Select(e => e.ToString()).ToList();
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("p/compose.yaml:7:17: services.b.depends_on: service \"a\" is required by \"b\" but is disabled by its profiles (x, y): " +
                          "list one of them in the ComposeProject manifest's profiles, or in COMPOSE_PROFILES", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("p/compose.yaml:10:19: services.c.network_mode: network_mode \"service:a\": service \"a\" is used by \"c\" but is disabled by its profiles (x, y)",
            errors[1], StringComparison.Ordinal);
        Assert.DoesNotContain(errors, e => e.Contains("undefined", StringComparison.Ordinal) || e.Contains("not a service of this project", StringComparison.Ordinal));

        // Enabled by COMPOSE_PROFILES, as the message says: both load, with a among the services.
        Write("p/.env", "COMPOSE_PROFILES=y\n");
        Assert.Equal(["a", "b", "c"], Project("p").Spec.Services.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_container_passes_the_security_policy_with_the_compose_field_position_and_list_items_at_their_own_column()
    {
        Write("bad/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    privileged: true\n    cap_add: [SYS_ADMIN]\n    volumes: [\"/var/run/docker.sock:/sock\"]\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("bad/compose.yaml:4:17: services.web.privileged: privileged containers are not allowed"));
        Assert.Contains(errors, e => e.StartsWith("bad/compose.yaml:5:15: services.web.cap_add[0]: adding capability"));
        Assert.Contains(errors, e => e.StartsWith("bad/compose.yaml:6:15: services.web.volumes[0]:"));
    }

    [Fact]
    public void Container_name_is_refused_with_replicas()
    {
        Write("n/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    container_name: fixed\n    scale: 2\n");
        Assert.Contains("container_name cannot be used with 2 replicas", Assert.Single(Load().Errors).Message);
    }

    [Fact]
    public void Secrets_and_configs_are_files_mounted_read_only_with_their_content_in_the_hash()
    {
        Write("s/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    secrets: [db_password, { source: api_key, target: key.txt }]\n    configs: [app_conf, { source: app_conf, target: /etc/app.conf }]\nsecrets:\n  db_password: { file: ./secrets/db.txt }\n  api_key: { file: ./secrets/api.txt }\nconfigs:\n  app_conf: { file: app.conf }\n");
        Write("s/secrets/db.txt", "hunter2\n");
        Write("s/secrets/api.txt", "key\n");
        Write("s/app.conf", "a=1\n");
        var before = Project("s").Spec.Services[0].Container;
        Assert.Equal(["/app_conf", "/etc/app.conf", "/run/secrets/db_password", "/run/secrets/key.txt"], before.Mounts.Select(m => m.Target).Order());
        Assert.All(before.Mounts, m => Assert.True(m is { Type: MountType.Bind, ReadOnly: true }));
        Write("s/app.conf", "a=2\n");
        var after = Project("s").Spec.Services[0].Container;
        Assert.NotEqual(Agent.Core.Planning.SpecHash.Of(before), Agent.Core.Planning.SpecHash.Of(after));
    }

    [Fact]
    public void A_secret_or_config_file_over_the_file_limit_is_refused_at_its_field_by_its_size_and_the_project_held()
    {
        Write("s/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    secrets: [big]\n    configs: [conf]\nsecrets:\n  big: { file: big.bin }\nconfigs:\n  conf: { file: conf.txt }\n");
        Write("s/conf.txt", new string('x', 200));
        using (var big = File.OpenWrite(Path.Combine(dir.FullName, "s", "big.bin"))) big.SetLength(3L << 30); // sparse: only its size is looked at
        var set = new ManifestFolder(dir.FullName, maxFileBytes: 190).Load(Policy);
        Assert.Equal([
            "s/compose.yaml:7:16: secrets.big.file: secret file \"big.bin\" is 3221225472 bytes, over the limit of 190 bytes per file the agent reads (Agent:MaxManifestFileBytes): not read",
            "s/compose.yaml:9:17: configs.conf.file: config file \"conf.txt\" is 200 bytes, over the limit of 190 bytes per file the agent reads (Agent:MaxManifestFileBytes): not read",
        ], set.Errors.Select(e => e.ToString()));
        Assert.Contains(new ObjectKey("ComposeProject", "s"), set.BrokenKeys); // held as it runs: a refused file is no deletion
    }

    [Fact]
    public void A_refused_secret_or_config_is_reported_at_its_declaration_only_never_also_as_not_declared()
    {
        // probe-15l L4: the uses of a refused declaration were also "not declared under the top-level secrets".
        Write("s/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    secrets: [shadow, swarm, unset, bare, typo]\n    configs: [{ source: shadowconf, target: /etc/x }]\n" +
            "secrets:\n  shadow: { file: /etc/shadow }\n  swarm: { external: true }\n  unset: { environment: NOT_SET_ANYWHERE }\n  bare: { external: false }\n" +
            "configs:\n  shadowconf: { file: /etc/shadow }\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.True(errors.Count == 6, string.Join('\n', errors));
        Assert.Single(errors, e => e.Contains("secrets.shadow.file: secret file \"/etc/shadow\""));
        Assert.Single(errors, e => e.Contains("secrets.swarm.external: external secrets live in a swarm"));
        Assert.Single(errors, e => e.Contains("secrets.unset.environment: variable \"NOT_SET_ANYWHERE\" is not set"));
        Assert.Single(errors, e => e.Contains("secrets.bare: a secret needs file, content or environment"));
        Assert.Single(errors, e => e.Contains("configs.shadowconf.file: config file \"/etc/shadow\""));
        // Only the name declared nowhere is "not declared".
        Assert.Equal("secret \"typo\" is not declared under the top-level secrets", Assert.Single(errors, e => e.Contains("not declared")).Split(": ", 3)[2]);
    }

    [Fact]
    public void Secrets_and_configs_from_environment_and_content_are_written_into_the_container_and_hashed_never_serialised()
    {
        Write("s/.env", "TOKEN=s3cret-one\n");
        Write("s/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    secrets: [token]\n    configs: [{ source: motd, target: /etc/motd }, banner]\n" +
            "secrets:\n  token: { environment: TOKEN }\nconfigs:\n  motd:\n    content: |\n      hello ${TOKEN:+there}\n  banner: { content: hi }\n");
        var before = Project("s").Spec.Services[0].Container;
        Assert.Equal(["/banner", "/etc/motd", "/run/secrets/token"], before.Files.Select(f => f.Target).Order());
        Assert.Equal("s3cret-one", before.Files.Single(f => f.Target == "/run/secrets/token").Content);
        Assert.Equal("hello there\n", before.Files.Single(f => f.Target == "/etc/motd").Content);
        Assert.Empty(before.Mounts);
        Assert.DoesNotContain("s3cret-one", Agent.Core.Planning.SpecDiff.Serialize(before)); // status, diff and render never show it
        Assert.DoesNotContain("s3cret-one", before.Files.Single(f => f.Target == "/run/secrets/token").ToString());

        Write("s/.env", "TOKEN=s3cret-two\n");
        var after = Project("s").Spec.Services[0].Container;
        Assert.NotEqual(Agent.Core.Planning.SpecHash.Of(before), Agent.Core.Planning.SpecHash.Of(after));
    }

    [Fact]
    public void An_override_file_changes_the_hash_of_only_the_services_it_touches_though_every_container_is_labelled_with_the_file_list()
    {
        Write("s/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n  db:\n    image: busybox:1.35\n");
        var before = Project("s").Spec.Services.ToDictionary(x => x.Name, x => x.Container);
        Write("s/compose.override.yaml", "services:\n  web:\n    environment:\n      FOO: bar\n");
        var after = Project("s").Spec.Services.ToDictionary(x => x.Name, x => x.Container);

        Assert.EndsWith("compose.override.yaml", after["db"].Labels[ComposeLabelNames.ConfigFiles]); // kept on the container
        Assert.NotEqual(before["db"].Labels[ComposeLabelNames.ConfigFiles], after["db"].Labels[ComposeLabelNames.ConfigFiles]);
        Assert.Equal(Agent.Core.Planning.SpecHash.Of(before["db"]), Agent.Core.Planning.SpecHash.Of(after["db"]));
        Assert.NotEqual(Agent.Core.Planning.SpecHash.Of(before["web"]), Agent.Core.Planning.SpecHash.Of(after["web"]));
        Assert.NotEqual(Agent.Core.Planning.SpecHash.Of(after["db"]),
            Agent.Core.Planning.SpecHash.Of(after["db"] with { Labels = new Dictionary<string, string>(after["db"].Labels) { ["other"] = "x" } }));
    }

    [Fact]
    public void A_project_names_the_files_it_reads_for_interpolation_so_the_watcher_stamps_a_hidden_dot_env()
    {
        Write("s/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    env_file: .web.env\n");
        Write("s/.web.env", "A=1\n");
        var inputs = Project("s").Compose!.InputFiles;
        Assert.Contains(Path.Combine(dir.FullName, "s", ".env"), inputs); // not there yet: creating it is noticed too
        Assert.Contains(Path.Combine(dir.FullName, "s", ".web.env"), inputs);
    }

    [Fact]
    public void Env_files_a_bind_could_not_mount_are_not_read_and_the_error_says_why()
    {
        Write("sys/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    env_file: [ok.env, /etc/shadow, .aws/credentials]\n");
        Write("sys/ok.env", "A=1\n");
        Write("sys/.aws/credentials", "aws_secret_access_key = do-not-read\n");
        Write("vars/vars.yaml", Manifest.Replace("shop", "vars") + "  files: [compose.yaml]\n  envFiles: [/etc/passwd]\n");
        Write("vars/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n");

        var errors = Load().Errors.Select(e => e.ToString()).ToList();

        Assert.Contains(errors, e => e.StartsWith("sys/compose.yaml:4:", StringComparison.Ordinal) && e.Contains("env_file") && e.Contains("\"/etc/shadow\" is not read") && e.Contains("/etc"));
        Assert.Contains(errors, e => e.Contains(".aws/credentials\" is not read") && e.Contains("holds a folder named .aws"));
        Assert.Contains(errors, e => e.StartsWith("vars/vars.yaml:", StringComparison.Ordinal) && e.Contains("spec.envFiles[0]: env file \"/etc/passwd\" is not read"));
        Assert.DoesNotContain(errors, e => e.Contains("do-not-read") || e.Contains("ok.env"));
    }

    [Fact]
    public void A_project_names_its_secret_and_config_files_so_the_watcher_stamps_hidden_ones_too()
    {
        Write("h/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    secrets: [db]\n    configs: [conf]\nsecrets:\n  db: { file: ./.secrets/db.txt }\nconfigs:\n  conf: { file: .conf/app.conf }\n");
        Write("h/.secrets/db.txt", "pw\n");
        Write("h/.conf/app.conf", "a=1\n");
        var project = Project("h");
        var inputs = project.Compose!.InputFiles;
        Assert.Contains(Path.Combine(dir.FullName, "h", ".secrets", "db.txt"), inputs);
        Assert.Contains(Path.Combine(dir.FullName, "h", ".conf", "app.conf"), inputs);
    }

    [Fact]
    public void Secrets_the_agent_cannot_materialise_are_errors_naming_the_field()
    {
        Write("s/compose.yaml", "services:\n  app:\n    image: busybox:1.35\n    secrets: [token, missing, swarm]\nsecrets:\n  token: { environment: NOPE }\n  swarm: { external: true }\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("s/compose.yaml:6:25: secrets.token.environment: variable \"NOPE\" is not set"));
        Assert.Contains(errors, e => e.StartsWith("s/compose.yaml:7:22: secrets.swarm.external: external secrets live in a swarm, and the agent runs no swarm"));
        Assert.Contains(errors, e => e.Contains("services.app.secrets[1]: secret \"missing\" is not declared"));
    }

    [Fact]
    public void Every_file_is_validated_against_the_compose_specification_schema_with_positions_and_paths()
    {
        Write("v/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    imagee: typo\n    ports: [{ target: 80, bogus: 1 }]\n    deploy:\n      replicas: [2]\n    healthcheck:\n      retries: [1]\n  \"bad name!\":\n    image: busybox:1.35\nvolumes:\n  data:\n    driver_opts: { type: [nfs] }\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("v/compose.yaml:4:5: services.web.imagee: \"imagee\" is not a field the Compose Specification allows here", errors);
        Assert.Contains("v/compose.yaml:5:27: services.web.ports[0].bogus: \"bogus\" is not a field the Compose Specification allows here", errors);
        Assert.Contains("v/compose.yaml:7:17: services.web.deploy.replicas: expected a whole number or a string, got a list", errors);
        Assert.Contains(errors, e => e.StartsWith("v/compose.yaml:9:16: services.web.healthcheck.retries:"));
        Assert.Contains("v/compose.yaml:10:3: services.bad name!: \"bad name!\" is not a valid name here (the Compose Specification allows ^[a-zA-Z0-9._-]+$)", errors);
        Assert.Contains(errors, e => e.StartsWith("v/compose.yaml:14:26: volumes.data.driver_opts.type:"));
        Assert.DoesNotContain(errors, e => e.Contains("is not supported by the agent")); // the model is not built from an invalid file
    }

    [Fact]
    public void The_schema_judges_each_file_after_interpolation_and_an_override_file_on_its_own()
    {
        Write("w/.env", "N=2\n");
        Write("w/compose.yaml", "services:\n  web:\n    image: busybox:1.35\n    deploy:\n      replicas: ${N}\n");
        Write("w/compose.override.yaml", "services:\n  web:\n    stop_grace_period: [1s]\n");
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Equal("w/compose.override.yaml:3:24: services.web.stop_grace_period: expected a string, got a list", Assert.Single(errors));
        Write("w/compose.override.yaml", "services:\n  web:\n    stop_grace_period: 1s\n");
        Assert.Equal(2, Project("w").Spec.Services[0].Replicas);
    }

    [Fact]
    public void A_project_names_the_variables_it_uses_unset_and_the_warning_says_they_read_blank()
    {
        Write("shop/.env", "TAG=1.35\n");
        Write("shop/compose.yaml", "services:\n  web:\n    image: busybox:${TAG}\n    environment: { DSN: \"db://${DB_USER}@${DB_HOST:-db}/$DB_NAME\" }\n");
        var key = new ObjectKey("ComposeProject", "shop");
        var project = Assert.IsType<ServiceGroup>(Load().Objects[key]);
        Assert.Equal(["DB_NAME", "DB_USER"], project.Compose!.UnsetVariables);
        Assert.Equal("ComposeProject/shop: the variables DB_NAME, DB_USER are not set; each reads as a blank string (set them in the project's .env, " +
                     "spec.environment or an env file, or give a default: ${NAME:-default})", UnsetVariablesWarning.Of(key, project));

        Write("shop/.env", "TAG=1.35\nDB_USER=app\nDB_NAME=shop\n");
        Assert.Empty(Assert.IsType<ServiceGroup>(Load().Objects[key]).Compose!.UnsetVariables);
        Assert.Null(UnsetVariablesWarning.Of(key, Load().Objects[key]));
    }
}
