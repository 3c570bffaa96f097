using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

/// <summary>`agent diff` names the fields that changed, like kubectl diff / nomad job plan.</summary>
public sealed class SpecDiffTests
{
    private static readonly ContainerSpec Before = new()
    {
        Image = "busybox:1.35",
        Command = ["sleep", "60"],
        Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "info", ["MODE"] = "a" },
        Ports = [new PortMapping("127.0.0.1", null, 8080)],
    };

    [Fact]
    public void Changed_scalar_map_entries_and_list_items_each_get_a_line()
    {
        var after = Before with
        {
            Image = "busybox:latest",
            Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "debug", ["NEW"] = "1" },
            Ports = [new PortMapping("127.0.0.1", null, 8080), new PortMapping("127.0.0.1", null, 9090)],
        };
        Assert.Equal(
        [
            "~ image: busybox:1.35 -> busybox:latest",
            "- env.LOG_LEVEL: info",
            "+ env.LOG_LEVEL: debug",
            "+ env.NEW: 1",
            "+ ports[1]: {hostIp: 127.0.0.1, containerPort: 9090, protocol: tcp}",
            "- env.MODE: a",
        ], SpecDiff.Between(SpecDiff.Serialize(Before), after));
    }

    [Fact]
    public void The_same_spec_has_no_lines_and_an_unknown_previous_spec_has_none_either()
    {
        Assert.Empty(SpecDiff.Between(SpecDiff.Serialize(Before), Before with { }));
        Assert.Empty(SpecDiff.Between(null, Before));
        Assert.Empty(SpecDiff.Between("not json", Before));
    }

    [Fact]
    public void A_list_of_words_changes_as_one_value()
    {
        Assert.Equal(["~ command: [sleep, 60] -> [sleep, 120]"], SpecDiff.Between(SpecDiff.Serialize(Before), Before with { Command = ["sleep", "120"] }));
    }
}
