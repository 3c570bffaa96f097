using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Security;

public sealed class SecurityPolicyTests
{
    private static readonly ContainerSpec Plain = new() { Image = "busybox:1.35" };

    private static IReadOnlyList<string> Fields(SecurityPolicy policy, ContainerSpec spec, AdmissionContext? context = null) =>
        policy.Check(spec, context ?? AdmissionContext.Offline).Select(v => v.Field).ToList();

    private static ContainerSpec Bind(string source) => Plain with { Mounts = [new MountSpec(MountType.Bind, source, "/x")] };

    [Fact]
    public void A_plain_container_passes() => Assert.Empty(Fields(SecurityPolicy.Default, Plain));

    [Theory]
    [InlineData("/etcd-backup")]
    [InlineData("/srv/app/config")]
    [InlineData("/homework/site")]
    [InlineData("/var/lib/app-data")]
    [InlineData("/devices-backup")]
    public void Paths_are_compared_by_component_not_by_prefix(string path) =>
        Assert.Empty(Fields(new SecurityPolicy(new SecurityOptions { AllowedBindRoots = ["/"] }), Bind(path)));

    [Theory]
    [InlineData("/etc")]
    [InlineData("/etc/")]
    [InlineData("//etc")]
    [InlineData("/srv/../etc/ssl")]
    [InlineData("/var/lib/docker/volumes")]
    [InlineData("/run")]
    [InlineData("/")]
    [InlineData("/root/.ssh")]
    [InlineData("/home")]
    [InlineData("/home/user/site")]
    [InlineData("/srv/../home/user")]
    public void Sensitive_binds_are_refused_after_normalising(string path) =>
        Assert.Equal(["volumes[0]"], Fields(SecurityPolicy.Default, Bind(path)));

    [Fact]
    public void A_symlink_to_a_sensitive_path_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("agent-link-");
        try
        {
            var link = Path.Combine(dir.FullName, "innocent");
            File.CreateSymbolicLink(link, "/etc");
            var folder = new ManifestFolder(dir.FullName);
            var violations = SecurityPolicy.Default.Check(Bind(link + "/ssl"), new AdmissionContext(folder.ResolveLinks, _ => false));
            var violation = Assert.Single(violations);
            Assert.Equal("volumes[0]", violation.Field);
            Assert.Contains("symlink to /etc/ssl", violation.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("NET_ADMIN")]
    [InlineData("net_admin")]
    [InlineData("CAP_NET_ADMIN")]
    [InlineData("cap_Net_Admin")]
    public void Capability_allowlist_matches_any_spelling(string spelling)
    {
        var policy = new SecurityPolicy(new SecurityOptions { AllowedCapabilities = ["cap_net_admin"] });
        Assert.Empty(Fields(policy, Plain with { CapAdd = [spelling] }));
        Assert.Equal(["capAdd[0]"], Fields(policy, Plain with { CapAdd = ["SYS_ADMIN"] }));
    }

    [Fact]
    public void Namespaces_may_be_shared_only_with_own_containers()
    {
        var own = new AdmissionContext(p => p, name => name == "g-db-1");
        Assert.Empty(Fields(SecurityPolicy.Default, Plain with { NetworkMode = "container:g-db-1", VolumesFrom = ["g-db-1:ro"] }, own));
        Assert.Equal(["networkMode", "volumesFrom[0]"],
            Fields(SecurityPolicy.Default, Plain with { NetworkMode = "container:agent", VolumesFrom = ["agent"] }, own));
    }

    [Fact]
    public void The_agents_own_api_port_is_never_published_on_any_address()
    {
        var policy = new Agent.Hosting.SecuritySettings().ToPolicy(urls: "http://127.0.0.1:8098;http://*:9000");
        Assert.Equal([8098, 9000], policy.Options.AgentPorts);
        static ContainerSpec Publishing(string? ip, int port, string protocol = "tcp") => Plain with { Ports = [new PortMapping(ip, port, 80, protocol)] };
        foreach (var ip in new string?[] { null, "0.0.0.0", "127.0.0.1", "10.1.2.3" })
        {
            var refused = Assert.Single(policy.Check(Publishing(ip, 8098), AdmissionContext.Offline));
            Assert.Equal("ports[0]", refused.Field);
            Assert.Contains("host port 8098 is the agent's own API address", refused.Message);
        }
        Assert.NotEmpty(policy.Check(Publishing(null, 9000), AdmissionContext.Offline));
        Assert.Empty(Fields(policy, Publishing(null, 8099)));
        Assert.Empty(Fields(policy, Publishing(null, 8098, "udp")));
        Assert.Empty(Agent.Hosting.SecuritySettings.ListenPorts("http://localhost:0"));
        Assert.Equal([80], Agent.Hosting.SecuritySettings.ListenPorts("http://+"));
    }

    [Fact]
    public void A_container_publishes_at_most_MaxPublishedPorts_host_ports_a_range_counting_each()
    {
        static ContainerSpec Publishing(int count) =>
            Plain with { Ports = Enumerable.Range(30000, count).Select(p => new PortMapping("127.0.0.1", p, p)).ToList() };
        Assert.Empty(Fields(SecurityPolicy.Default, Publishing(100)));
        var refused = Assert.Single(SecurityPolicy.Default.Check(Publishing(30000), AdmissionContext.Offline));
        Assert.Equal("ports", refused.Field);
        Assert.Contains("publishes 30000 host ports; at most 100", refused.Message);
        Assert.Contains("Agent:Security:MaxPublishedPorts", refused.Message);

        var raised = new Agent.Hosting.SecuritySettings { MaxPublishedPorts = 30000 }.ToPolicy();
        Assert.Empty(Fields(raised, Publishing(30000)));
        Assert.Equal(100, new Agent.Hosting.SecuritySettings().ToPolicy().Options.MaxPublishedPorts);
    }

    [Theory]
    [InlineData("~/data:/data", "use an absolute path")]
    [InlineData("a:/b:ro:x", "use NAME:/path, or /abs:/path")]
    public void A_runs_volume_hints_never_suggest_a_relative_path_it_has_no_folder_for(string volume, string hint)
    {
        // probe-20 F8: the API's hints pointed to ./relative paths, which a run then refuses.
        var body = System.Text.Json.JsonSerializer.Serialize(new { service = new { name = "r", image = "busybox:1.35", volumes = new[] { volume } } });
        var (request, errors) = Agent.Core.Manifests.RunRequestParser.Parse(body, Agent.UnitTests.Manifests.MemoryManifestFiles.Instance,
            SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Null(request);
        var error = Assert.Single(errors);
        Assert.Contains(hint, error.Message);
        Assert.DoesNotContain("./", error.Message);
    }

    [Fact]
    public void A_run_publishing_too_many_ports_is_refused_naming_service_ports()
    {
        var body = "{\"service\": {\"name\": \"r\", \"image\": \"busybox:1.35\", \"ports\": [\"127.0.0.1:30000-59999:30000-59999\"]}}";
        var (request, errors) = Agent.Core.Manifests.RunRequestParser.Parse(body, Agent.UnitTests.Manifests.MemoryManifestFiles.Instance,
            SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Null(request);
        var error = Assert.Single(errors);
        Assert.Equal("service.ports", error.Path);
        Assert.Contains("publishes 30000 host ports", error.Message);
    }

    [Theory]
    [InlineData("../../containers/other")]
    [InlineData("busybox/../../images")]
    [InlineData("localhost:5000//x")]
    [InlineData("busybox:1.35?x=1")]
    [InlineData("busy box")]
    public void An_image_that_is_not_a_reference_is_refused_for_runs_jobs_and_manifests(string image)
    {
        Assert.Equal(["image"], Fields(SecurityPolicy.Default, Plain with { Image = image }));
        var body = System.Text.Json.JsonSerializer.Serialize(new { service = new { name = "r", image } });
        var (request, errors) = Agent.Core.Manifests.RunRequestParser.Parse(body, Agent.UnitTests.Manifests.MemoryManifestFiles.Instance,
            SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Null(request);
        Assert.Contains(errors, e => e.Path == "service.image");
        var job = Agent.Core.Manifests.JobRequestParser.Parse(System.Text.Json.JsonSerializer.Serialize(new { container = new { image } }),
            Agent.UnitTests.Manifests.MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.NotEmpty(job.Errors);
    }

    [Theory]
    [InlineData("busybox")]
    [InlineData("localhost:5000/team/app:1.0")]
    [InlineData("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void An_image_reference_passes(string image) => Assert.Empty(Fields(SecurityPolicy.Default, Plain with { Image = image }));

    [Fact]
    public void Image_allowlist_uses_globs()
    {
        var policy = new SecurityPolicy(new SecurityOptions { AllowedImages = ["busybox:*", "registry.local/team/*"] });
        Assert.Empty(Fields(policy, Plain));
        Assert.Empty(Fields(policy, Plain with { Image = "registry.local/team/api:2" }));
        Assert.Equal(["image"], Fields(policy, Plain with { Image = "evil/busybox:1" }));
    }

    [Theory]
    [InlineData("rtprio", 99, 99, "ulimits.rtprio")]
    [InlineData("rtprio", 0, 1, "ulimits.rtprio")]
    [InlineData("rtprio", -1, -1, "ulimits.rtprio")]
    [InlineData("nice", 40, 40, "ulimits.nice")]
    [InlineData("nice", 0, -1, "ulimits.nice")]
    [InlineData("rtprio", 0, 0, null)]
    [InlineData("nice", 20, 20, null)]
    [InlineData("memlock", -1, -1, null)]
    [InlineData("nofile", 1048576, 1048576, null)]
    public void Ulimits_that_raise_a_process_above_the_host_are_refused(string name, long soft, long hard, string? field)
    {
        var fields = Fields(SecurityPolicy.Default, Plain with { Ulimits = [new UlimitSpec(name, soft, hard)] });
        if (field is null) Assert.Empty(fields);
        else Assert.Equal([field], fields);
        Assert.Empty(Fields(new SecurityPolicy(new SecurityOptions { AllowedUlimits = [name.ToUpperInvariant()] }),
            Plain with { Ulimits = [new UlimitSpec(name, soft, hard)] }));
    }

    [Fact]
    public void Safe_sysctls_pass_and_configuration_can_allow_more()
    {
        Assert.Empty(Fields(SecurityPolicy.Default, Plain with { Sysctls = new Dictionary<string, string> { ["net.ipv4.ip_unprivileged_port_start"] = "0" } }));
        var relaxed = new SecurityPolicy(new SecurityOptions { AllowedSysctls = ["net.core.somaxconn"] });
        Assert.Empty(Fields(relaxed, Plain with { Sysctls = new Dictionary<string, string> { ["net.core.somaxconn"] = "1024" } }));
    }

    [Fact]
    public void Restricted_profile_demands_non_root_no_caps_no_new_privileges_read_only_and_allowed_roots()
    {
        var restricted = new SecurityPolicy(new SecurityOptions { Profile = SecurityProfile.Restricted, AllowedBindRoots = ["/srv"] });
        Assert.Equal(["volumes[0]", "user", "capDrop", "noNewPrivileges", "readOnlyRootFilesystem"], Fields(restricted, Bind("/home/x")));
        var hardened = Bind("/srv/app") with { User = "65534:65534", CapDrop = ["all"], NoNewPrivileges = true, ReadOnlyRootFilesystem = true };
        Assert.Empty(Fields(restricted, hardened));
        Assert.Equal(["user"], Fields(restricted, hardened with { User = "0:0" }));
    }

    [Theory]
    [InlineData("no-new-privileges:true", true)]
    [InlineData("no-new-privileges", true)]
    [InlineData("NO-NEW-PRIVILEGES=true", true)]
    [InlineData("no-new-privileges=false", true)]
    [InlineData("apparmor=docker-default", false)]
    [InlineData("label=level:s0:c100,c200", false)]
    [InlineData("seccomp=/tmp/allow-all.json", false)]
    [InlineData("label=type:spc_t", false)]
    [InlineData("label=user:system_u", false)]
    [InlineData("label:user:system_u", false)]
    [InlineData("label=role:system_r", false)]
    [InlineData("label:role:system_r", false)]
    [InlineData("LABEL=USER:x", false)]
    [InlineData("SECCOMP=UNCONFINED", false)]
    [InlineData("seccomp:unconfined", false)]
    [InlineData("no-new-privileges=maybe", false)]
    [InlineData("no-new-privileges\u0000", false)]
    [InlineData("", false)]
    public void Security_options_are_an_allow_list_in_both_forms(string option, bool allowed) =>
        Assert.Equal(allowed, Fields(SecurityPolicy.Default, Plain with { SecurityOpt = [option] }).Count == 0);

    [Theory]
    [InlineData("apparmor=docker-default", "apparmor:docker-default")]
    [InlineData("label=level:s0:c100,c200", "label:level:s0:c100,c200")]
    public void The_profile_can_allow_more_security_options_in_either_form(string configured, string used)
    {
        var policy = new SecurityPolicy(new SecurityOptions { AllowedSecurityOpts = [configured] });
        Assert.Empty(Fields(policy, Plain with { SecurityOpt = [used] }));
        Assert.Empty(Fields(policy, Plain with { SecurityOpt = [configured] }));
        Assert.Equal(["securityOpt[0]"], Fields(policy, Plain with { SecurityOpt = ["label=user:system_u"] }));
    }
}
