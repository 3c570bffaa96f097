using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>Class 6: under the restricted profile, root's group and privileged supplementary groups are refused.</summary>
public sealed class RestrictedProfileTests : SecurityScenario
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Agent:Security:Profile"] = "Restricted" };

    private const string Hardened = "      capDrop: [ALL]\n      noNewPrivileges: true\n      readOnlyRootFilesystem: true\n";

    [Fact]
    public async Task Group_root_and_privileged_groups_are_refused_and_a_hardened_container_runs()
    {
        var good = Instance.Name("good");
        var gid0 = Instance.Name("gid0");
        var groups = Instance.Name("groups");
        Agent.Write("good.yaml", Manifest.Group(good, Service("s", Hardened + "      user: \"1000:1000\"\n")));
        Agent.Write("gid0.yaml", Manifest.Group(gid0, Service("s", Hardened + "      user: \"1000:0\"\n")));
        Agent.Write("groups.yaml", Manifest.Group(groups, Service("s", Hardened + "      user: \"1000:1000\"\n      groupAdd: [\"0\", docker]\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(good);
        Assert.Equal("1000:1000", await DockerCli.InspectAsync($"{good}-s-1", "{{.Config.User}}"));
        await AssertManifestRefusedAsync(gid0, "spec.services[0].user");
        await AssertManifestRefusedAsync(groups, "spec.services[0].groupAdd[0]");

        const string hardened = "\"capDrop\":[\"ALL\"],\"noNewPrivileges\":true,\"readOnlyRootFilesystem\":true";
        await AssertRunRefusedAsync(Instance.Name("r-gid0"), hardened + ",\"user\":\"1000:0\"", "service.user");
        var text = await AssertRunRefusedAsync(Instance.Name("r-groups"), hardened + ",\"user\":\"1000:1000\",\"groupAdd\":[\"0\",\"docker\"]", "service.groupAdd[0]");
        Assert.Contains("service.groupAdd[1]", text);
    }
}
