using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>Class 6: under Restricted, uid and gid are non-zero numbers and no privileged group is joined.</summary>
public sealed class RestrictedUserTests
{
    private static readonly SecurityOptions Restricted = new() { Profile = SecurityProfile.Restricted, PrivilegedGroupIds = [0, 998, 27] };
    private static readonly ContainerSpec Hardened = new()
    {
        Image = "busybox:1.35", User = "1000:1000", CapDrop = ["ALL"], NoNewPrivileges = true, ReadOnlyRootFilesystem = true,
    };

    private static IReadOnlyList<string> Fields(ContainerSpec spec, SecurityOptions? options = null) =>
        new SecurityPolicy(options ?? Restricted).Check(spec, AdmissionContext.Offline).Select(v => v.Field).ToList();

    [Fact]
    public void A_hardened_container_passes() => Assert.Empty(Fields(Hardened));

    [Theory]
    [InlineData("1000:0")]       // the issue: primary group root
    [InlineData("1000:00")]
    [InlineData("1000:+0")]
    [InlineData("1000:root")]
    [InlineData("1000:998")]     // the host's docker group
    [InlineData("1000:27")]      // the host's sudo group
    [InlineData("1000")]         // no group: a uid the image does not know runs with gid 0
    [InlineData("1000:")]
    [InlineData("0:1000")]
    [InlineData("root")]
    [InlineData("00")]
    [InlineData("nobody:nogroup")] // names could map to 0 in the image
    [InlineData("1000:wheel")]
    [InlineData("")]
    public void Root_ids_privileged_groups_and_unverifiable_users_are_refused(string user) =>
        Assert.Equal(["user"], Fields(Hardened with { User = user }));

    [Theory]
    [InlineData("0")]            // the issue
    [InlineData("docker")]       // the issue
    [InlineData("root")]
    [InlineData("sudo")]
    [InlineData("disk")]
    [InlineData("adm")]
    [InlineData("shadow")]
    [InlineData("wheel")]
    [InlineData("kmem")]
    [InlineData("Docker")]
    [InlineData("000")]
    [InlineData("998")]          // docker's gid on this host
    public void Privileged_supplementary_groups_are_refused(string group) =>
        Assert.Equal(["groupAdd[1]"], Fields(Hardened with { GroupAdd = ["2000", group] }));

    [Theory]
    [InlineData("2000")]
    [InlineData("app")]
    public void Ordinary_supplementary_groups_pass(string group) => Assert.Empty(Fields(Hardened with { GroupAdd = [group] }));

    [Fact]
    public void The_default_profile_leaves_users_and_groups_to_the_manifest() =>
        Assert.Empty(Fields(Hardened with { User = "0:0", GroupAdd = ["0", "docker"] }, new SecurityOptions()));

    [Fact]
    public void The_agent_reads_the_hosts_privileged_group_ids()
    {
        var options = new Agent.Hosting.SecuritySettings().ToPolicy().Options;
        var docker = File.ReadAllLines("/etc/group").Select(l => l.Split(':')).FirstOrDefault(p => p[0] == "docker");
        Assert.Contains(0, options.PrivilegedGroupIds);
        if (docker is not null) Assert.Contains(int.Parse(docker[2]), options.PrivilegedGroupIds);
        var shadow = File.ReadAllLines("/etc/group").Select(l => l.Split(':')).Single(p => p[0] == "shadow");
        Assert.Contains(int.Parse(shadow[2]), options.PrivilegedGroupIds);
    }
}
