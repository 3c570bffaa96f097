using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.UnitTests.Compose;

/// <summary>Service fields that load into the model (and the ones that stay errors naming the field).</summary>
public sealed class ComposeFieldTests : IDisposable
{
    private readonly ComposeStackFolder stack = new();

    public void Dispose() => stack.Dispose();

    private ManifestSet Load(string compose) => stack.Load(compose);

    private ServiceSpec Service(string compose, string name) => stack.Project(compose).Spec.Services.Single(s => s.Name == name);

    [Fact]
    public void Depends_on_restart_true_loads_and_is_in_the_compose_label()
    {
        var web = Service("""
            services:
              db: { image: busybox:1.35 }
              web:
                image: busybox:1.35
                depends_on: { db: { condition: service_started, restart: true } }
            """, "web");
        Assert.True(Assert.Single(web.DependsOn).Restart);
        Assert.Equal("db:service_started:true", web.Container.Labels[ComposeLabelNames.DependsOn]);
    }

    [Fact]
    public void Link_local_ips_load_and_an_address_that_is_not_link_local_is_an_error_at_the_field()
    {
        var app = Service("""
            services:
              app:
                image: busybox:1.35
                networks:
                  default:
                    link_local_ips: [169.254.10.10, "fe80::10"]
            """, "app");
        Assert.Equal(["169.254.10.10", "fe80::10"], Assert.Single(app.Container.Networks!).LinkLocalIps!);
        var errors = Load("services:\n  c: { image: busybox:1.35, networks: { default: { link_local_ips: [10.0.0.1] } } }\n").Errors.Select(e => e.ToString()).ToArray();
        Assert.Contains(errors, e => e.Contains("link_local_ips") && e.Contains("\"10.0.0.1\" is not a link-local address"));
    }

    [Fact]
    public void A_short_tmpfs_takes_size_and_ro_and_names_any_other_option()
    {
        var app = Service("services:\n  app: { image: busybox:1.35, tmpfs: [\"/run:size=64m,ro\", /tmp] }\n", "app");
        Assert.Equal([("/run", 64L * 1024 * 1024, true), ("/tmp", (long?)null, false)],
            app.Container.Mounts.Select(m => (m.Target, m.SizeBytes, m.ReadOnly)).ToArray());
        var errors = Load("services:\n  app: { image: busybox:1.35, tmpfs: \"/run:exec\" }\n").Errors.Select(e => e.ToString()).ToArray();
        Assert.Contains(errors, e => e.Contains("services.app.tmpfs") && e.Contains("\"exec\" is not supported"));
    }

    [Fact]
    public void A_volume_that_binds_a_host_folder_through_driver_opts_is_refused_at_its_option()
    {
        var errors = Load("""
            services:
              app: { image: busybox:1.35, volumes: [data:/data] }
            volumes:
              data:
                labels: { keep: "yes" }
                driver_opts:
                  type: none
                  o: bind
                  device: /etc
            """).Errors.Select(e => e.ToString()).ToArray();
        Assert.Contains(errors, e => e.StartsWith("shop/compose.yaml:8:") && e.Contains("volumes.data.driver_opts.o"));
        Assert.Contains(errors, e => e.StartsWith("shop/compose.yaml:7:") && e.Contains("volumes.data.driver_opts.type"));
    }

    [Theory]
    [InlineData("healthcheck: { test: [\"CMD\", \"true\"], start_interval: 1s }", "services.app.healthcheck.start_interval", "Engine API 1.44")]
    [InlineData("deploy: { restart_policy: { condition: on-failure, delay: 5s } }", "services.app.deploy.restart_policy.delay", "not supported")]
    [InlineData("mac_address: 02:42:ac:11:00:02", "services.app.mac_address", "not supported")]
    public void Fields_the_agent_cannot_honour_are_errors_naming_them(string field, string path, string message)
    {
        var errors = Load($"services:\n  app:\n    image: busybox:1.35\n    {field}\n").Errors.Select(e => e.ToString()).ToArray();
        Assert.Contains(errors, e => e.StartsWith("shop/compose.yaml:") && e.Contains(path) && e.Contains(message));
    }

    [Fact]
    public void Environment_values_interpolated_from_the_dot_env_file_are_masked_like_env_file_values()
    {
        // probe-13c C12: `agent diff` printed `- env.P: hunter2xyz` for a value that came from `.env`.
        stack.Write("shop/.env", "PASSWORD=hunter2xyz\nTAG=1.35\n");
        var group = stack.Project("services:\n  web:\n    image: busybox:${TAG}\n    environment:\n      P: \"pw=${PASSWORD}\"\n      PASSWORD:\n      PLAIN: x\n      D: \"${UNSET:-d}\"\n");
        var container = group.Spec.Services.Single().Container;
        Assert.Equal(["P", "PASSWORD"], container.SecretEnv.Order(StringComparer.Ordinal));
        Assert.Equal("pw=hunter2xyz", container.Env["P"]);
        Assert.DoesNotContain("hunter2xyz", Agent.Core.Planning.SpecDiff.Serialize(container));
        Assert.Contains("x", Agent.Core.Planning.SpecDiff.Serialize(container));
    }
}
