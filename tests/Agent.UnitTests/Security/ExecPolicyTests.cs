using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>Class 7: an exec runs as its container's user and never exceeds what admission allowed.</summary>
public sealed class ExecPolicyTests
{
    private static readonly SecurityOptions Defaults = new();

    private static IReadOnlyList<string> Fields(ExecSpec exec, string containerUser, SecurityOptions? options = null) =>
        ExecPolicy.Check(exec, containerUser, options ?? Defaults).Select(v => v.Field).ToList();

    private static ExecSpec Exec(string? user = null, string? dir = null, Dictionary<string, string>? env = null) => new(["id"], env, dir, user);

    [Theory]
    [InlineData("root")]     // the issue
    [InlineData("0:0")]      // the issue
    [InlineData("0")]
    [InlineData("1000:0")]
    [InlineData("65534:65534")]
    [InlineData("1001")]
    public void Another_user_than_the_containers_is_refused(string user) =>
        Assert.Equal(["user"], Fields(Exec(user), "1000:1000"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1000:1000")]
    public void The_containers_own_user_passes(string? user) => Assert.Empty(Fields(Exec(user), "1000:1000"));

    [Theory]
    [InlineData("root", "")]
    [InlineData("0", "")]
    [InlineData("0:0", "")]
    [InlineData("root:root", "")]
    [InlineData("root", "0:0")]
    [InlineData("0", "root")]
    public void Root_by_name_or_id_into_a_container_that_runs_as_root_is_its_own_user(string user, string container) =>
        Assert.Empty(Fields(Exec(user), container));

    [Theory]
    [InlineData("root:1000", "")]
    [InlineData("1000", "")]
    [InlineData("0:1000", "0")]
    public void Another_group_or_user_than_roots_own_is_still_another_user(string user, string container) =>
        Assert.Equal(["user"], Fields(Exec(user), container));

    [Fact]
    public void Allowing_exec_users_never_lets_root_into_a_non_root_container()
    {
        var allowed = Defaults with { AllowExecUser = true };
        Assert.Empty(Fields(Exec("1001:1001"), "1000:1000", allowed));
        Assert.Equal(["user"], Fields(Exec("root"), "1000:1000", allowed));
        Assert.Equal(["user"], Fields(Exec("1001:0"), "1000:1000", allowed));
        Assert.Empty(Fields(Exec("0:0"), "", allowed)); // the container itself runs as root: nothing gained
        var restricted = allowed with { Profile = SecurityProfile.Restricted };
        Assert.Equal(["user"], Fields(Exec("0:0"), "", restricted));
        Assert.Equal(["user"], Fields(Exec("1001"), "1000:1000", restricted));
    }

    [Theory]
    [InlineData("/proc/self/fd")]
    [InlineData("/proc")]
    [InlineData("/sys/fs")]
    [InlineData("/dev")]
    [InlineData("/tmp/../proc/1")]
    [InlineData("relative")]
    [InlineData("/tmp\0")]
    public void Working_dirs_are_judged_like_the_containers(string dir) => Assert.Equal(["workingDir"], Fields(Exec(dir: dir), ""));

    [Fact]
    public void Env_names_and_NUL_values_are_refused()
    {
        Assert.Equal(["env.A B"], Fields(Exec(env: new() { ["A B"] = "1" }), ""));
        Assert.Equal(["env.A"], Fields(Exec(env: new() { ["A"] = "x\0y" }), ""));
        Assert.Equal(["env.=X"], Fields(Exec(env: new() { ["=X"] = "1" }), ""));
        Assert.Empty(Fields(Exec(env: new() { ["A"] = "x y\nz" }, dir: "/tmp"), ""));
    }

    [Fact]
    public void A_NUL_in_the_command_is_refused() =>
        Assert.Equal(["command[1]"], ExecPolicy.Check(new(["sh", "-c\0x"], null, null, null), "", Defaults).Select(v => v.Field));
}
