using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Security;

/// <summary>Class 2: bind sources by component (deny-lists, allow-list under Restricted), targets and working dirs.</summary>
public sealed class HostPathRulesTests
{
    private static readonly ContainerSpec Plain = new() { Image = "busybox:1.35" };

    /// <summary>The deny-lists on their own: the whole host is an allowed root unless the test configures roots, as
    /// the deny-lists hold inside every root.</summary>
    private static IReadOnlyList<Violation> Check(ContainerSpec spec, SecurityOptions? options = null, AdmissionContext? context = null) =>
        AsShipped(spec, OpenHost(options ?? new SecurityOptions()), context);

    private static IReadOnlyList<Violation> AsShipped(ContainerSpec spec, SecurityOptions? options = null, AdmissionContext? context = null) =>
        new SecurityPolicy(options ?? new SecurityOptions()).Check(spec, context ?? AdmissionContext.Offline);

    private static SecurityOptions OpenHost(SecurityOptions options) =>
        options.AllowedBindRoots.Count == 0 && options.Profile == SecurityProfile.Default ? options with { AllowedBindRoots = ["/"] } : options;

    [Theory]
    [InlineData("/var/lib/dpkg")]
    [InlineData("/var/lib/polkit-1/localauthority")]
    [InlineData("/var/lib/apt")]
    [InlineData("/opt/data")]
    [InlineData("/srv/app")]
    [InlineData("/work")]
    [InlineData("/tmp/x")]
    public void By_default_a_host_folder_outside_the_manifests_folder_needs_an_allowed_root(string source)
    {
        var manifests = AdmissionContext.Offline with { ManifestsRoot = "/srv/manifests" };
        var fromManifests = Assert.Single(AsShipped(Bind(source), context: manifests));
        Assert.Equal("volumes[0]", fromManifests.Field);
        Assert.Contains("binds must be inside the manifests folder", fromManifests.Message);
        Assert.Contains("Agent:Security:AllowedBindRoots", fromManifests.Message);
        // An API run has no manifests folder: only the configured roots.
        Assert.Contains("none is configured", Assert.Single(AsShipped(Bind(source))).Message);
        Assert.Empty(AsShipped(Bind(source), new SecurityOptions { AllowedBindRoots = [source] }));
        Assert.Empty(AsShipped(Bind("/srv/manifests/static"), context: manifests));
    }

    [Fact]
    public void The_engines_own_data_root_is_refused_under_any_bind_root_with_what_lies_above_and_below_it()
    {
        // probe-22 F6: dockerd --data-root /srv/docker with AllowedBindRoots=/srv let a container bind every container's files.
        var engine = AdmissionContext.Offline with { EngineDataRoots = ["/srv/docker"] };
        var options = new SecurityOptions { AllowedBindRoots = ["/srv"] };
        foreach (var source in new[] { "/srv/docker", "/srv/docker/volumes", "/srv" })
        {
            var refused = Assert.Single(AsShipped(Bind(source), options, engine));
            Assert.Contains("/srv/docker, the engine's data root: the container engine's socket or data", refused.Message, StringComparison.Ordinal);
        }
        Assert.Empty(AsShipped(Bind("/srv/app"), options, engine));
    }

    [Fact]
    public void A_configured_root_does_not_close_the_manifests_folder()
    {
        var manifests = AdmissionContext.Offline with { ManifestsRoot = "/srv/manifests" };
        var options = new SecurityOptions { AllowedBindRoots = ["/data"] };
        Assert.Empty(AsShipped(Bind("/data/app"), options, manifests));
        Assert.Empty(AsShipped(Bind("/srv/manifests/static"), options, manifests));
        Assert.Contains("binds must be inside the manifests folder or under /data", Assert.Single(AsShipped(Bind("/var/lib/dpkg"), options, manifests)).Message);
    }

    private static ContainerSpec Bind(string source, string target = "/x") => Plain with { Mounts = [new MountSpec(MountType.Bind, source, target)] };

    [Theory]
    [InlineData("/home")]
    [InlineData("/home/")]
    [InlineData("/home/alice")]
    [InlineData("/home/alice/.bash_history")]
    [InlineData("/root")]
    [InlineData("/var/log/auth.log")]
    [InlineData("/var/spool/cron")]
    [InlineData("/run/user/1000")]
    [InlineData("/var/run/secrets")]
    [InlineData("/var")]
    [InlineData("/srv/keys/.ssh")]
    [InlineData("/opt/app/.docker/config.json")]
    [InlineData("/data/.kube")]
    [InlineData("/srv/.aws/credentials")]
    [InlineData("/run/systemd/private")]
    public void Private_and_credential_paths_are_refused_by_default(string source) =>
        Assert.Equal("volumes[0]", Assert.Single(Check(Bind(source))).Field);

    [Theory]
    [InlineData("/srv/app")]
    [InlineData("/opt/data")]
    [InlineData("/homes-backup")]
    [InlineData("/mnt/disk1/media")]
    [InlineData("/data/ssh")]
    public void Ordinary_data_folders_pass_the_deny_lists(string source) => Assert.Empty(Check(Bind(source)));

    [Fact]
    public void An_allowed_root_inside_a_private_path_opens_only_that_root()
    {
        var options = new SecurityOptions { AllowedBindRoots = ["/home/app/data"] };
        Assert.Empty(Check(Bind("/home/app/data/uploads"), options));
        Assert.Empty(Check(Bind("/home/app/data"), options));
        Assert.Single(Check(Bind("/home/app"), options));
        Assert.Single(Check(Bind("/home/other/data"), options));
        Assert.Single(Check(Bind("/home/app/data/.ssh"), options)); // credential names stay refused
        // A root above a private path opens nothing of it.
        Assert.Single(Check(Bind("/home/alice"), new SecurityOptions { AllowedBindRoots = ["/"] }));
    }

    [Fact]
    public void Binds_inside_the_manifests_folder_pass_even_when_it_lies_in_a_home()
    {
        var context = AdmissionContext.Offline with { ManifestsRoot = "/home/ops/manifests" };
        Assert.Empty(Check(Bind("/home/ops/manifests/static"), context: context));
        Assert.Single(Check(Bind("/home/ops/.ssh"), context: context));
        Assert.Single(Check(Bind("/home/ops"), context: context));
    }

    [Fact]
    public void A_symlink_into_home_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("agent-home-link-");
        try
        {
            var link = Path.Combine(dir.FullName, "site");
            Directory.CreateSymbolicLink(link, "/home");
            var folder = new ManifestFolder(dir.FullName);
            var violation = Assert.Single(Check(Bind(link + "/alice"), context: new AdmissionContext(folder.ResolveLinks, _ => false)));
            Assert.Contains("symlink to /home/alice", violation.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_agents_state_folder_is_never_bound()
    {
        var options = new Agent.Hosting.SecuritySettings().ToPolicy("/srv/agent-state").Options;
        Assert.Single(Check(Bind("/srv/agent-state/tokens"), options));
        Assert.Single(Check(Bind("/srv"), options));
        Assert.Empty(Check(Bind("/srv/app"), options));
    }

    [Fact]
    public void Configured_secret_files_are_never_bound_nor_a_folder_holding_them()
    {
        var options = new Agent.Hosting.AgentOptions
        {
            StateDir = "/srv/agent-state",
            Manifests = "/srv/manifests",
            Auth = new() { TokensFile = "/opt/secrets/tokens", JwtKeyFile = "/etc2/jwt.key" },
            Registries = [new() { Server = "r:5000", UsernameFile = "/opt/reg/user", PasswordFile = "/opt/reg/pass" }],
        }.Policy().Options;
        Assert.Contains("holds the agent's own secrets", Assert.Single(Check(Bind("/opt/secrets"), options)).Message);
        Assert.Single(Check(Bind("/opt/secrets/tokens"), options));
        Assert.Single(Check(Bind("/etc2/jwt.key"), options));
        Assert.Single(Check(Bind("/opt/reg/pass"), options));
        Assert.Single(Check(Bind("/opt"), options));
        Assert.Empty(Check(Bind("/opt/app"), options));
        var git = new AdmissionContext(p => p, _ => false) { SecretFiles = ["/opt/git/deploy-key"] };
        Assert.Contains("/opt/git/deploy-key", Assert.Single(Check(Bind("/opt/git"), options, git)).Message);
    }

    [Fact]
    public void The_engine_socket_the_agent_drives_is_never_bound_wherever_DOCKER_HOST_puts_it()
    {
        var options = new Agent.Hosting.AgentOptions
        {
            StateDir = "/srv/agent-state",
            DockerHost = "unix:///opt/engine/run/docker.sock",
        }.Policy().Options;
        Assert.Contains("/opt/engine/run/docker.sock", Assert.Single(Check(Bind("/opt/engine/run/docker.sock"), options)).Message);
        Assert.Single(Check(Bind("/opt/engine/run"), options));
        Assert.Single(Check(Bind("/opt"), options));
        Assert.Empty(Check(Bind("/opt/app"), options));
        var tcp = new Agent.Hosting.AgentOptions { StateDir = "/srv/agent-state", DockerHost = "tcp://127.0.0.1:2375" }.Policy().Options;
        Assert.Empty(Check(Bind("/opt/engine/run"), tcp));
    }

    [Fact]
    public void The_manifests_folder_binds_only_read_only()
    {
        var options = new Agent.Hosting.AgentOptions { StateDir = "/srv/agent-state", Manifests = "/srv/manifests" }.Policy().Options;
        Assert.Contains("read-write", Assert.Single(Check(Bind("/srv/manifests"), options)).Message);
        Assert.Single(Check(Bind("/srv/manifests/"), options));
        Assert.Empty(Check(Plain with { Mounts = [new MountSpec(MountType.Bind, "/srv/manifests", "/m", ReadOnly: true)] }, options));
        Assert.Empty(Check(Bind("/srv/manifests/web/html"), options)); // a stack's own data folder
        Assert.Single(Check(Bind("/srv"), options)); // holds the state dir too
    }

    [Theory]
    [InlineData("/proc/sys")]            // the bind target
    [InlineData("/proc")]
    [InlineData("/proc/sysrq-trigger")]
    [InlineData("/sys/fs/cgroup")]
    [InlineData("/sys")]
    [InlineData("/dev")]
    [InlineData("/dev/shm")]
    [InlineData("/app/../proc/sys")]
    [InlineData("//proc//sys/")]
    [InlineData("/")]
    [InlineData("/./")]
    public void Targets_on_kernel_file_systems_are_refused_for_every_mount_type(string target)
    {
        Assert.Single(Check(Bind("/srv/x", target)));
        Assert.Single(Check(Plain with { Mounts = [new MountSpec(MountType.Volume, "g_data", target)] }));
        Assert.Equal("tmpfs[0]", Assert.Single(Check(Plain with { Mounts = [new MountSpec(MountType.Tmpfs, null, target)] })).Field);
    }

    [Theory]
    [InlineData("/procfs")]
    [InlineData("/app/proc")]
    [InlineData("/devel")]
    [InlineData("/system")]
    public void Targets_that_only_look_like_kernel_paths_pass(string target) => Assert.Empty(Check(Bind("/srv/x", target)));

    [Theory]
    [InlineData("/proc/self/fd")]        // the working dir
    [InlineData("/proc")]
    [InlineData("/sys/kernel")]
    [InlineData("/dev/")]
    [InlineData("/app/../../proc/1/root")]
    public void Working_dirs_on_kernel_file_systems_are_refused(string dir) =>
        Assert.Equal("workingDir", Assert.Single(Check(Plain with { WorkingDir = dir })).Field);

    [Fact]
    public void Restricted_allows_binds_only_under_its_roots()
    {
        var restricted = new SecurityOptions { Profile = SecurityProfile.Restricted, AllowedBindRoots = ["/srv/app"] };
        var hardened = Plain with { User = "1000:1000", CapDrop = ["ALL"], NoNewPrivileges = true, ReadOnlyRootFilesystem = true };
        Assert.Empty(Check(hardened with { Mounts = [new MountSpec(MountType.Bind, "/srv/app/data", "/data")] }, restricted));
        Assert.Single(Check(hardened with { Mounts = [new MountSpec(MountType.Bind, "/srv/other", "/data")] }, restricted));
        Assert.Single(Check(hardened with { Mounts = [new MountSpec(MountType.Bind, "/srv/app/../other", "/data")] }, restricted));
    }
}
