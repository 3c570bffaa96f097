using System.Reflection;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>
/// Every field of ContainerSpec (and of the records inside it) has a recorded policy decision, and every field the
/// policy judges or refuses is proven here with a hostile value. A new field without a decision fails this test.
/// </summary>
public sealed class FieldDecisionTests
{
    private static readonly ContainerSpec Plain = new() { Image = "busybox:1.35" };

    /// <summary>A hostile value for each judged or refused field, and the violation field it must produce.</summary>
    private static readonly Dictionary<string, (Func<ContainerSpec, ContainerSpec> Hostile, string Field)> Proofs = new()
    {
        ["Image"] = (s => s with { Image = "evil/x:1" }, "image"),
        ["WorkingDir"] = (s => s with { WorkingDir = "/proc/self/fd" }, "workingDir"),
        ["User"] = (s => s with { User = "1000:0" }, "user"),
        ["Mounts"] = (s => s with { Mounts = [new MountSpec(MountType.Bind, "/etc", "/x")] }, "volumes[0]"),
        ["Mounts[].Source"] = (s => s with { Mounts = [new MountSpec(MountType.Bind, "/home/alice", "/x")] }, "volumes[0]"),
        ["Mounts[].Target"] = (s => s with { Mounts = [new MountSpec(MountType.Tmpfs, null, "/proc/sys")] }, "tmpfs[0]"),
        ["ReadOnlyRootFilesystem"] = (s => s with { ReadOnlyRootFilesystem = false }, "readOnlyRootFilesystem"),
        ["CapAdd"] = (s => s with { CapAdd = ["SYS_ADMIN"] }, "capAdd[0]"),
        ["CapDrop"] = (s => s with { CapDrop = [] }, "capDrop"),
        ["NoNewPrivileges"] = (s => s with { NoNewPrivileges = false }, "noNewPrivileges"),
        ["Logging"] = (s => s with { Logging = new LoggingSpec("syslog", new Dictionary<string, string>()) }, "logging.driver"),
        ["Logging.Driver"] = (s => s with { Logging = new LoggingSpec("fluentd", new Dictionary<string, string>()) }, "logging.driver"),
        ["Logging.Options"] = (s => s with { Logging = new LoggingSpec("json-file", new Dictionary<string, string> { ["syslog-address"] = "x" }) }, "logging.options.syslog-address"),
        ["Privileged"] = (s => s with { Privileged = true }, "privileged"),
        ["NetworkMode"] = (s => s with { NetworkMode = "host" }, "networkMode"),
        ["PidMode"] = (s => s with { PidMode = "host" }, "pid"),
        ["IpcMode"] = (s => s with { IpcMode = "host" }, "ipc"),
        ["UtsMode"] = (s => s with { UtsMode = "host" }, "uts"),
        ["UsernsMode"] = (s => s with { UsernsMode = "host" }, "userns"),
        ["CgroupnsMode"] = (s => s with { CgroupnsMode = "host" }, "cgroupns"),
        ["Devices"] = (s => s with { Devices = ["/dev/sda"] }, "devices[0]"),
        ["DeviceCgroupRules"] = (s => s with { DeviceCgroupRules = ["a *:* rwm"] }, "deviceCgroupRules[0]"),
        ["Gpus"] = (s => s with { Gpus = ["all"] }, "gpus"),
        ["SecurityOpt"] = (s => s with { SecurityOpt = ["label=user:system_u"] }, "securityOpt[0]"),
        ["Sysctls"] = (s => s with { Sysctls = new Dictionary<string, string> { ["kernel.core_pattern"] = "|/x" } }, "sysctls.kernel.core_pattern"),
        ["VolumesFrom"] = (s => s with { VolumesFrom = ["agent"] }, "volumesFrom[0]"),
        ["Ulimits"] = (s => s with { Ulimits = [new UlimitSpec("rtprio", 99, 99)] }, "ulimits.rtprio"),
        ["GroupAdd"] = (s => s with { GroupAdd = ["docker"] }, "groupAdd[0]"),
    };

    /// <summary>Every property path of ContainerSpec, descending into the agent's own model records.</summary>
    private static IEnumerable<string> Paths(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract"))
        {
            var path = prefix + property.Name;
            yield return path;
            var inner = property.PropertyType;
            var element = inner.IsGenericType && inner.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? inner.GetGenericArguments()[0] : null;
            var nested = Nullable.GetUnderlyingType(element ?? inner) ?? element ?? inner;
            if (nested.Namespace == typeof(ContainerSpec).Namespace && nested.IsClass && nested != typeof(string))
                foreach (var child in Paths(nested, path + (element is null ? "." : "[]."))) yield return child;
        }
    }

    public static IEnumerable<object[]> AllFields => Paths(typeof(ContainerSpec), "").Select(p => new object[] { p });

    [Theory]
    [MemberData(nameof(AllFields))]
    public void Every_field_has_a_policy_decision(string path) =>
        Assert.True(FieldDecisions.ContainerSpec.ContainsKey(path),
            $"ContainerSpec field {path} has no security decision: add it to FieldDecisions (Allowed, Judged or Refused), judge it in SecurityPolicy, and prove it here.");

    [Fact]
    public void Every_decision_names_a_field_that_exists()
    {
        var paths = Paths(typeof(ContainerSpec), "").ToHashSet();
        Assert.All(FieldDecisions.ContainerSpec.Keys, key => Assert.Contains(key, paths));
    }

    public static IEnumerable<object[]> JudgedFields => FieldDecisions.ContainerSpec
        .Where(d => d.Value.Decision != FieldDecision.Allowed && d.Key != "Mounts[].External")
        .Select(d => new object[] { d.Key });

    [Theory]
    [MemberData(nameof(JudgedFields))]
    public void Every_judged_field_refuses_a_hostile_value(string path)
    {
        Assert.True(Proofs.TryGetValue(path, out var proof), $"{path} is judged but no hostile value proves it here");
        var policy = new SecurityPolicy(new SecurityOptions { Profile = SecurityProfile.Restricted, AllowedImages = ["busybox:*"], AllowedBindRoots = ["/srv"] });
        var hardened = Plain with { User = "1000:1000", CapDrop = ["ALL"], NoNewPrivileges = true, ReadOnlyRootFilesystem = true };
        Assert.Empty(policy.Check(hardened, AdmissionContext.Offline));
        Assert.Contains(proof.Field, policy.Check(proof.Hostile(hardened), AdmissionContext.Offline).Select(v => v.Field));
    }

    [Fact]
    public void External_volume_mounts_are_judged_when_the_volume_is_inspected()
    {
        var mount = new MountSpec(MountType.Volume, "shared", "/data") { External = true };
        var facts = new VolumeFacts("shared", "local", new Dictionary<string, string>(), new Dictionary<string, string>());
        Assert.NotNull(SecurityPolicy.Default.CheckMountedVolume(mount, facts, owned: false));
        Assert.Null(new SecurityPolicy(new SecurityOptions { AllowedExternalVolumes = ["shared"] }).CheckMountedVolume(mount, facts, owned: false));
    }
}
