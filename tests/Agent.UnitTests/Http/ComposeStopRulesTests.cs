using Agent.Http;

namespace Agent.UnitTests.Http;

/// <summary>probe-18 F6a: compose stop/start apply to a project that is up; a down project is brought up, not started.</summary>
public sealed class ComposeStopRulesTests
{
    [Fact]
    public void Stop_and_start_apply_to_a_project_that_is_up_or_stopped()
    {
        Assert.Null(ComposeStopRules.Refusal("stop", "shop", down: false, specSuspend: false));
        Assert.Null(ComposeStopRules.Refusal("start", "shop", down: false, specSuspend: false));
    }

    [Fact]
    public void Start_of_a_down_project_points_at_up()
    {
        Assert.Equal("ComposeProject \"shop\" is down (agent down): it has no containers to start; bring it up with agent up composeproject/shop (POST /api/v1/composeprojects/shop/up)",
            ComposeStopRules.Refusal("start", "shop", down: true, specSuspend: false));
        Assert.Contains("agent up composeproject/shop", ComposeStopRules.Refusal("stop", "shop", down: true, specSuspend: false));
    }

    [Fact]
    public void A_project_held_down_by_its_manifest_names_spec_suspend()
    {
        Assert.Contains("suspend: true in its manifest", ComposeStopRules.Refusal("start", "shop", down: false, specSuspend: true));
        Assert.Contains("suspend: true in its manifest", ComposeStopRules.Refusal("stop", "shop", down: false, specSuspend: true));
    }
}
