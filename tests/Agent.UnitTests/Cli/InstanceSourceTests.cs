using Agent.Cli;

namespace Agent.UnitTests.Cli;

/// <summary>fix21b: which instance `agent diff` compares as, said on stderr, and when it refuses to compare (a new instance
/// beside other instances' objects: the running agent's state dir was not found).</summary>
public sealed class InstanceSourceTests
{
    private const string State = "/home/u/.local/state/agent";

    [Fact]
    public void The_first_that_gives_an_instance_wins_flag_environment_running_record_instance_id()
    {
        Assert.Equal("given with --instance", InstanceSource.Of("a", "a", true, "b", State, true).Description);
        Assert.Equal("from AGENT_Agent__Instance", InstanceSource.Of(null, "e", true, "b", State, true).Description);
        Assert.Equal("from Agent:Instance in appsettings.json", InstanceSource.Of(null, "e", false, "b", State, true).Description);
        Assert.Equal($"the instance the agent of state dir {State} runs as: {State}/running", InstanceSource.Of(null, null, false, "b", State, true).Description);
        Assert.Equal($"stored in {State}/instance-id", InstanceSource.Of(null, null, false, null, State, true).Description);
        var fresh = InstanceSource.Of(null, null, false, null, State, false);
        Assert.True(fresh.IsNew);
        Assert.Equal($"a new instance (the state dir {State} holds no instance-id)", fresh.Description);
    }

    [Fact]
    public void A_new_instance_beside_other_instances_objects_is_an_error_naming_them_and_the_way_out()
    {
        var fresh = InstanceSource.Of(null, null, false, null, State, false);
        var (error, warning) = fresh.Judge("n1", new Dictionary<string, int> { ["prod"] = 3, ["t1"] = 1 });
        Assert.Null(warning);
        Assert.Equal($"diff would compare as a new instance (the state dir {State} holds no instance-id), which owns nothing on this engine, while other " +
                     "instances own containers or networks there: prod (3), t1 (1). Give the state dir of the agent to compare with (--state-dir DIR) or its instance (--instance ID).", error);
        Assert.Equal((null, null), fresh.Judge("n1", new Dictionary<string, int>())); // a fresh host: every object is created, rightly
    }

    [Fact]
    public void A_known_instance_that_owns_nothing_while_others_do_is_a_warning_and_one_that_owns_something_is_quiet()
    {
        var stored = InstanceSource.Of(null, null, false, null, State, true);
        var owners = Enumerable.Range(1, 7).ToDictionary(i => $"i{i}", i => i);
        var (error, warning) = stored.Judge("mine", owners);
        Assert.Null(error);
        Assert.Equal("instance mine owns no container or network on this engine; other instances do: i7 (7), i6 (6), i5 (5), i4 (4), i3 (3) and 2 more. " +
                     "If your agent runs as one of them, give its --state-dir or --instance.", warning);
        Assert.Equal((null, null), stored.Judge("i2", owners));
        Assert.Equal((null, null), InstanceSource.Of(null, null, false, null, State, false).Judge("i2", owners)); // new, yet it owns some
    }
}
