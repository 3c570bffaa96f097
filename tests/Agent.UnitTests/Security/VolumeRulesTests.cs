using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>Class 1: named volumes reach the host or a remote file system through driver and options, whoever made them.</summary>
public sealed class VolumeRulesTests
{
    private static readonly SecurityOptions Defaults = new();
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private static Dictionary<string, string> Opts(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    private static IReadOnlyList<string> Fields(string driver, Dictionary<string, string> opts, SecurityOptions? options = null) =>
        VolumeRules.Problems(driver, opts, options ?? Defaults).Select(v => v.Field).ToList();

    [Theory]
    [InlineData("type=none", "o=bind", "device=/")]                       // the out-of-band host root
    [InlineData("type=none", "o=rbind", "device=/etc")]
    [InlineData("type=bind", "o=ro", "device=/home")]
    [InlineData("type=NONE", "o=BIND", "device=/")]                       // case does not help
    [InlineData("type=nfs", "o=addr=10.0.0.1,rw", "device=:/export")]    // remote file systems
    [InlineData("type=nfs4", "o=addr=nas", "device=nas:/x")]
    [InlineData("type=cifs", "o=username=u,password=p", "device=//srv/share")]
    [InlineData("type=tmpfs", "o=addr=169.254.169.254", "device=tmpfs")] // a remote option hidden in a tmpfs
    [InlineData("type=tmpfs", "o=size=1m, bind", "device=tmpfs")]        // spaces around a bind
    [InlineData("type=tmpfs", "o=size=1m", "device=/dev/sda1")]          // a host device under a tmpfs type
    [InlineData("type=ext4", "o=rw", "device=/dev/sda1")]
    [InlineData("type=overlay", "o=lowerdir=/", "device=overlay")]
    [InlineData("type=proc", "o=rw", "device=proc")]
    [InlineData("type=fuse.sshfs", "o=rw", "device=user@host:/")]
    public void Host_and_remote_volume_options_are_refused(string type, string o, string device) =>
        Assert.NotEmpty(Fields("local", Opts(type, o, device)));

    [Fact]
    public void Options_without_a_type_and_unknown_local_keys_are_refused()
    {
        Assert.Equal(["driverOpts"], Fields("local", Opts("o=size=1m")));
        Assert.Equal(["driverOpts.mountpoint"], Fields("local", Opts("type=tmpfs", "device=tmpfs", "mountpoint=/")));
    }

    [Fact]
    public void Plain_and_tmpfs_volumes_pass()
    {
        Assert.Empty(Fields("local", []));
        Assert.Empty(Fields("", []));
        Assert.Empty(Fields("local", Opts("type=tmpfs", "device=tmpfs", "o=size=64m,uid=1000,mode=0700,noexec,nosuid,nodev")));
    }

    [Theory]
    [InlineData("local ")]
    [InlineData(" local")]
    [InlineData("lo\tcal")]
    [InlineData("local\u0000")]
    public void A_driver_name_with_whitespace_or_control_characters_is_refused_even_when_trimmed_it_is_allowed(string driver)
    {
        var problem = Assert.Single(VolumeRules.Problems(driver, Opts(), Defaults with { AllowedVolumeDrivers = ["lo\tcal"] }));
        Assert.Equal("driver", problem.Field);
        Assert.StartsWith($"volume driver \"{ControlCharacters.Shown(driver)}\" contains whitespace or control characters", problem.Message);
        Assert.DoesNotContain('\0', problem.Message);
    }

    [Theory]
    [InlineData("rexray/ebs")]
    [InlineData("vieux/sshfs")]
    [InlineData("nfs")]
    [InlineData("Local2")]
    public void Drivers_other_than_local_need_the_allowlist(string driver)
    {
        Assert.Equal(["driver"], Fields(driver, []));
        Assert.Empty(Fields(driver, [], Defaults with { AllowedVolumeDrivers = [driver.ToUpperInvariant()] }));
    }

    [Fact]
    public void An_allowed_driver_still_may_not_name_host_paths_or_remote_addresses()
    {
        var allowed = Defaults with { AllowedVolumeDrivers = ["vieux/sshfs"] };
        Assert.Equal(["driverOpts.path"], Fields("vieux/sshfs", Opts("path=/etc"), allowed));
        Assert.Equal(["driverOpts.url"], Fields("vieux/sshfs", Opts("url=nfs://nas/x"), allowed));
        Assert.Empty(Fields("vieux/sshfs", Opts("size=10g"), allowed));
    }

    [Fact]
    public void Declared_external_volumes_need_the_allowlist_and_take_no_options()
    {
        var external = new VolumeSpec("shared-cache", "local", new Dictionary<string, string>()) { External = true };
        Assert.Equal(["external"], VolumeRules.CheckDeclared(external, Defaults).Select(v => v.Field));
        Assert.Empty(VolumeRules.CheckDeclared(external, Defaults with { AllowedExternalVolumes = ["shared-*"] }));
        Assert.Equal(["external"], VolumeRules.CheckDeclared(external with { Name = "host-root" }, Defaults with { AllowedExternalVolumes = ["shared-*"] }).Select(v => v.Field));
    }

    private static VolumeFacts Facts(string name, string driver = "local", Dictionary<string, string>? opts = null, bool agentLabels = true) =>
        new(name, driver, opts ?? [], agentLabels ? new Dictionary<string, string> { ["agent.managed"] = "true" } : NoLabels);

    [Fact]
    public void A_volume_made_out_of_band_under_the_groups_name_is_refused_whatever_its_name()
    {
        // The issue: a group named so that {group}_{name} equals a volume made with type=none,o=bind,device=/.
        var hostRoot = Facts("evil_data", opts: Opts("type=none", "o=bind", "device=/"), agentLabels: false);
        Assert.Contains("is not this object's", VolumeRules.MountProblem("evil_data", hostRoot, declaredExternal: false, owned: false, Defaults));
        // Even carrying this agent's labels (forged, or made by an older agent), its options are judged.
        Assert.Contains("type", VolumeRules.MountProblem("evil_data", hostRoot, declaredExternal: false, owned: true, Defaults));
    }

    [Fact]
    public void Someone_elses_volume_is_refused_unless_declared_external_and_allowed()
    {
        var plain = Facts("shared-cache", agentLabels: false);
        Assert.Contains("is not this object's", VolumeRules.MountProblem("shared-cache", plain, false, false, Defaults));
        Assert.Contains("AllowedExternalVolumes", VolumeRules.MountProblem("shared-cache", plain, true, false, Defaults));
        Assert.Null(VolumeRules.MountProblem("shared-cache", plain, true, false, Defaults with { AllowedExternalVolumes = ["shared-cache"] }));
        var nfs = Facts("shared-cache", opts: Opts("type=nfs", "o=addr=10.0.0.1", "device=:/x"), agentLabels: false);
        Assert.Contains("remote", VolumeRules.MountProblem("shared-cache", nfs, true, false, Defaults with { AllowedExternalVolumes = ["*"] }));
        var driver = Facts("shared-cache", driver: "rexray/ebs", agentLabels: false);
        Assert.Contains("driver", VolumeRules.MountProblem("shared-cache", driver, true, false, Defaults with { AllowedExternalVolumes = ["*"] }));
    }

    [Fact]
    public void Own_plain_volumes_pass_and_missing_ones_are_refused()
    {
        Assert.Null(VolumeRules.MountProblem("g_data", Facts("g_data"), false, true, Defaults));
        Assert.Contains("does not exist", VolumeRules.MountProblem("g_data", null, false, false, Defaults));
        Assert.Contains("does not exist", VolumeRules.MountProblem("ext", null, true, false, Defaults with { AllowedExternalVolumes = ["ext"] }));
    }
}
