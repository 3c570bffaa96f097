using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Compose;

/// <summary>Compose networks: top-level definitions and service attachments load into the model, and the planner creates,
/// joins, finds (external) or holds (changed definition) them.</summary>
public sealed class ComposeNetworkTests : IDisposable
{
    private readonly ComposeStackFolder stack = new();
    private static readonly AgentLabels Labels = new("i1");

    public void Dispose() => stack.Dispose();

    private ServiceGroup Project(string compose) => stack.Project(compose);

    private string[] Errors(string compose) => stack.Errors(compose);

    private static Plan PlanOf(ServiceGroup project, ObservedState observed) =>
        Planner.PlanGroup(new PlanInput(project.Key, project, observed, Labels, DateTimeOffset.UnixEpoch));

    private static readonly string Shop = """
        services:
          web:
            image: busybox:1.35
            networks:
              front: { aliases: [www], priority: 10 }
              back: { ipv4_address: 172.31.250.10 }
          db:
            image: busybox:1.35
            networks: [back]
          cache:
            image: busybox:1.35
        networks:
          front:
            driver: bridge
            driver_opts: { com.docker.network.bridge.enable_icc: "true" }
            labels: { team: shop, agent.instance: forged }
            attachable: true
          back:
            internal: true
            ipam:
              config:
                - subnet: 172.31.250.0/24
                  gateway: 172.31.250.1
                  ip_range: 172.31.250.128/25
          unused: {}
        """;

    [Fact]
    public void Declared_networks_load_with_their_definition_and_only_used_ones_are_kept()
    {
        var project = Project(Shop);
        Assert.Equal(["back", "default", "front"], project.Spec.Networks.Keys.ToArray());
        var back = project.Spec.Networks["back"];
        Assert.Equal((true, "172.31.250.0/24", "172.31.250.1", "172.31.250.128/25"), (back.Internal, back.Ipam!.Pools[0].Subnet, back.Ipam.Pools[0].Gateway, back.Ipam.Pools[0].IpRange));
        Assert.Equal("shop_back", back.Name);
        Assert.True(project.Spec.Networks["front"].Attachable);
        Assert.Equal("true", project.Spec.Networks["front"].DriverOptions["com.docker.network.bridge.enable_icc"]);
    }

    [Fact]
    public void A_service_joins_its_networks_highest_priority_first_and_one_without_networks_keeps_the_default_model()
    {
        var project = Project(Shop);
        var web = project.Spec.Services.Single(s => s.Name == "web").Container.Networks!;
        Assert.Equal(["front", "back"], web.Select(n => n.Key).ToArray());
        Assert.Equal(["www"], web[0].Aliases);
        Assert.Equal("172.31.250.10", web[1].Ipv4Address);
        Assert.Null(project.Spec.Services.Single(s => s.Name == "cache").Container.Networks);
    }

    [Fact]
    public void Network_mistakes_are_errors_naming_the_field()
    {
        var errors = Errors("""
            services:
              web:
                image: busybox:1.35
                networks:
                  nope: {}
                  plain: { ipv4_address: 10.1.2.3 }
                  ext: { link_local_ips: [10.9.9.9] }
            networks:
              plain: { driver: macvlan }
              ext: { external: true, driver: bridge }
            """);
        Assert.Contains(errors, e => e.Contains("shop/compose.yaml:5:") && e.Contains("services.web.networks.nope") && e.Contains("not declared"));
        Assert.Contains(errors, e => e.Contains("networks.plain.driver") && e.Contains("macvlan"));
        Assert.Contains(errors, e => e.Contains("services.web.networks.plain.ipv4_address") && e.Contains("needs a subnet"));
        Assert.Contains(errors, e => e.Contains("link_local_ips") && e.Contains("not a link-local address"));
        Assert.Contains(errors, e => e.Contains("networks.ext.driver") && e.Contains("external"));
    }

    [Fact]
    public void Driver_options_and_ipam_drivers_follow_the_network_policy_of_POST_networks()
    {
        var errors = Errors("""
            services:
              web:
                image: busybox:1.35
                networks: [hostbr, listed, plugin, tuned, maybe, huge, opts]
            networks:
              hostbr:
                driver_opts: { com.docker.network.bridge.name: virbr0 }
              listed:
                driver_opts: { com.docker.network.bridge.host_binding_ipv4: 0.0.0.0 }
              plugin:
                ipam: { driver: weave }
              tuned:
                driver_opts: { com.docker.network.driver.mtu: "1400", com.docker.network.bridge.enable_icc: "false" }
                ipam: { driver: default }
              maybe:
                driver_opts: { com.docker.network.bridge.enable_icc: "maybe" }
              huge:
                driver_opts: { com.docker.network.driver.mtu: "70000" }
              opts:
                ipam: { options: { com.docker.network.bridge.name: docker0 } }
            """);
        Assert.True(errors.Any(e => e.Contains("shop/compose.yaml:7:") && e.Contains("networks.hostbr.driver_opts.com.docker.network.bridge.name")
                                     && e.Contains("take over an existing bridge")), string.Join("\n", errors));
        Assert.Contains(errors, e => e.Contains("networks.listed.driver_opts") && e.Contains("host_binding_ipv4\" is not allowed"));
        Assert.Contains(errors, e => e.Contains("networks.plugin.ipam.driver") && e.Contains("\"weave\" is not allowed"));
        // probe-15g F4: values the engine would refuse (or take) are errors at their line, before the engine sees them.
        Assert.Contains(errors, e => e.Contains("shop/compose.yaml:16:") && e.Contains("networks.maybe.driver_opts.com.docker.network.bridge.enable_icc") && e.Contains("must be true or false, not \"maybe\""));
        Assert.Contains(errors, e => e.Contains("networks.huge.driver_opts.com.docker.network.driver.mtu") && e.Contains("MTU from 68 to 65535, not \"70000\""));
        Assert.Contains(errors, e => e.Contains("networks.opts.ipam.options.com.docker.network.bridge.name") && e.Contains("takes no options"));
        Assert.Equal(6, errors.Length);
    }

    [Fact]
    public void Host_reserved_ranges_in_ipam_are_errors_naming_the_field()
    {
        var errors = Errors("""
            services:
              web:
                image: busybox:1.35
                networks: [lo, meta]
            networks:
              lo:
                ipam:
                  config:
                    - subnet: 127.0.0.0/8
              meta:
                ipam:
                  config:
                    - subnet: 10.210.7.0/24
                      ip_range: 10.210.7.0/25
                      aux_addresses: { metadata: 169.254.169.254 }
            """);
        Assert.Contains(errors, e => e.Contains("networks.lo.ipam.config[0].subnet") && e.Contains("127.0.0.0/8 (loopback)"));
        Assert.Contains(errors, e => e.Contains("networks.meta.ipam.config[0].aux_addresses") && e.Contains("metadata") && e.Contains("169.254.0.0/16"));
        Assert.DoesNotContain(errors, e => e.Contains("ip_range"));
    }

    [Fact]
    public void Missing_networks_are_created_with_their_definition_and_labels_and_containers_join_them_in_order()
    {
        var project = Project(Shop);
        var plan = PlanOf(project, ObservedState.Empty);
        var creates = plan.Operations.Where(o => o.Kind == OperationKind.CreateNetwork).ToDictionary(o => o.Labels![Labels.Network]);
        Assert.Equal(["back", "default", "front"], creates.Keys.Order().ToArray());
        var front = creates["front"];
        Assert.Equal(("shop_front", "shop", "front", "i1"), (front.Target, front.Labels![ComposeLabelNames.Project], front.Labels[ComposeLabelNames.Network], front.Labels[Labels.Instance]));
        Assert.Equal("shop", front.Labels["team"]);
        Assert.Equal(project.Spec.Networks["front"].DefinitionHash(), front.Labels[Labels.NetworkHash]);
        var web = plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:web:1");
        Assert.Null(web.Network);
        Assert.Equal([project.Spec.Networks["front"].Name, project.Spec.Networks["back"].Name], web.Endpoints!.Select(e => e.Address).ToArray());
        Assert.Equal("172.31.250.10", web.Endpoints![1].Ipv4Address);
        Assert.All(plan.Operations.Where(o => o.Kind == OperationKind.CreateContainer), c => Assert.Contains(creates.Values, n => c.After.Contains(n.Id)));
    }

    [Fact]
    public void Observed_networks_are_joined_by_id_and_an_unchanged_project_plans_nothing_for_them()
    {
        var project = Project(Shop);
        var observed = new ObservedState([], project.Spec.Networks.Select(n => new ObservedNetwork("id-" + n.Key, n.Value.Name, n.Key) { DefinitionHash = n.Value.DefinitionHash() }).ToList(), new HashSet<string>());
        var plan = PlanOf(project, observed);
        Assert.DoesNotContain(plan.Operations, o => o.Kind == OperationKind.CreateNetwork);
        Assert.Equal(["id-front", "id-back"], plan.Operations.Single(o => o.ResourceId == "service:web:1" && o.Kind == OperationKind.CreateContainer).Endpoints!.Select(e => e.Address).ToArray());
        Assert.Equal("id-default", plan.Operations.Single(o => o.ResourceId == "service:cache:1" && o.Kind == OperationKind.CreateContainer).Network);
    }

    [Fact]
    public void A_network_whose_definition_changed_holds_the_project_and_touches_nothing()
    {
        var project = Project(Shop);
        var observed = new ObservedState([], project.Spec.Networks.Select(n => new ObservedNetwork("id-" + n.Key, n.Value.Name, n.Key)
        {
            DefinitionHash = n.Key == "back" ? "0000000000000000" : n.Value.DefinitionHash(),
        }).ToList(), new HashSet<string>());
        var plan = PlanOf(project, observed);
        Assert.Empty(plan.Operations);
        var hold = Assert.Single(plan.Held);
        Assert.Equal("NetworkChanged", hold.Reason);
        Assert.Contains("networks.back", hold.Message);
        Assert.Contains("agent down", hold.Message);
    }

    private ServiceGroup WebOnExternalNetwork(string key, string name) => Project($$"""
        services:
          web: { image: busybox:1.35, networks: [{{key}}] }
        networks:
          {{key}}: { external: true, name: {{name}} }
        """);

    [Fact]
    public void An_external_network_is_never_created_joined_by_id_when_it_exists_and_held_when_it_does_not()
    {
        var project = WebOnExternalNetwork("proxy", "edge-proxy");
        Assert.Equal(("edge-proxy", true), (project.Spec.Networks["proxy"].Name, project.Spec.Networks["proxy"].External));
        var missing = PlanOf(project, ObservedState.Empty);
        Assert.Empty(missing.Operations);
        Assert.Equal("ExternalNetworkMissing", Assert.Single(missing.Held).Reason);
        Assert.Contains("docker network create edge-proxy", missing.Held[0].Message);

        var present = PlanOf(project, ObservedState.Empty with { ExternalNetworks = new Dictionary<string, IReadOnlyList<string>> { ["edge-proxy"] = ["ext-id"] } });
        Assert.DoesNotContain(present.Operations, o => o.Kind == OperationKind.CreateNetwork);
        var create = present.Operations.Single(o => o.Kind == OperationKind.CreateContainer);
        Assert.Equal("ext-id", Assert.Single(create.Endpoints!).Address);
    }

    [Fact]
    public void An_external_network_the_agent_does_not_own_nor_allow_is_held_and_predefined_ones_are_errors()
    {
        var project = WebOnExternalNetwork("other", "someone-elses");
        var refused = PlanOf(project, ObservedState.Empty with
        {
            ExternalNetworks = new Dictionary<string, IReadOnlyList<string>> { ["someone-elses"] = ["n1"] },
            RefusedExternalNetworks = new HashSet<string> { "someone-elses" },
        });
        Assert.Empty(refused.Operations);
        var hold = Assert.Single(refused.Held);
        Assert.Equal("ExternalNetworkRefused", hold.Reason);
        Assert.Contains("networks.other", hold.Message);
        Assert.Contains("Agent:Security:AllowedExternalNetworks", hold.Message);

        var errors = Errors("""
            services:
              web: { image: busybox:1.35, networks: [h, b] }
            networks:
              h: { external: true, name: host }
              b: { external: true, name: bridge }
            """);
        Assert.Contains(errors, e => e.Contains("networks.h.external") && e.Contains("host networking is refused"));
        Assert.Contains(errors, e => e.Contains("networks.b.external") && e.Contains("network_mode: bridge"));
    }
}
