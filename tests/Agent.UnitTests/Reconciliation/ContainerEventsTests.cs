using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Xunit;

namespace Agent.UnitTests.Reconciliation;

public sealed class ContainerEventsTests
{
    private static readonly DateTimeOffset T = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static EngineEvent Event(string action, params (string Key, string Value)[] attributes) =>
        new("container", action, "abc123", attributes.ToDictionary(a => a.Key, a => a.Value), T);

    private static ContainerSummary Created() =>
        ContainerEvents.Apply(null, Event("create", ("name", "web-1"), ("image", "busybox:1.35"), ("agent.instance", "i1"), ("agent.service", "web")))!;

    [Fact]
    public void Create_makes_an_entry_whose_labels_are_the_attributes_but_name_and_image()
    {
        var c = Created();
        Assert.Equal(("abc123", "web-1", "busybox:1.35", ContainerState.Created), (c.Id, c.Name, c.Image, c.State));
        Assert.Equal(new Dictionary<string, string> { ["agent.instance"] = "i1", ["agent.service"] = "web" }, c.Labels);
    }

    [Fact]
    public void Start_die_health_rename_and_destroy_set_what_the_list_would_show()
    {
        var c = ContainerEvents.Apply(Created(), Event("start"))!;
        Assert.Equal((ContainerState.Running, (int?)null), (c.State, c.ExitCode));
        c = ContainerEvents.Apply(c, Event("health_status: healthy"))!;
        Assert.Equal(HealthState.Healthy, c.Health);
        c = ContainerEvents.Apply(c, Event("die", ("exitCode", "137")))!;
        Assert.Equal((ContainerState.Exited, (int?)137, HealthState.None, "Exited (137)"), (c.State, c.ExitCode, c.Health, c.Status));
        c = ContainerEvents.Apply(c, Event("rename", ("name", "web-2"), ("oldName", "/web-1")))!;
        Assert.Equal("web-2", c.Name);
        Assert.Null(ContainerEvents.Apply(c, Event("destroy")));
    }

    [Fact]
    public void A_start_leaves_the_health_unknown_until_a_health_event_or_an_exit_tells()
    {
        // The quick start's flake: a just-started web replica (healthcheck, not inspected yet) read as ready, Health None.
        var started = ContainerEvents.Apply(Created(), Event("start"))!;
        Assert.Equal((HealthState.None, true), (started.Health, started.HealthUnknown));
        Assert.False(ContainerEvents.Apply(started, Event("health_status: starting"))!.HealthUnknown);
        Assert.False(ContainerEvents.Apply(started, Event("die", ("exitCode", "1")))!.HealthUnknown);
        // One seen with a health state has a healthcheck: it starts again, known; after an exit the list shows none.
        var healthy = ContainerEvents.Apply(started, Event("health_status: healthy"))!;
        var again = ContainerEvents.Apply(healthy, Event("start"))!;
        Assert.Equal((HealthState.Starting, false), (again.Health, again.HealthUnknown));
        var restarted = ContainerEvents.Apply(ContainerEvents.Apply(healthy, Event("die", ("exitCode", "0")))!, Event("start"))!;
        Assert.Equal((HealthState.None, true), (restarted.Health, restarted.HealthUnknown));
    }

    [Fact]
    public void A_replayed_create_keeps_the_newer_entry_and_events_for_unknown_containers_add_nothing()
    {
        var running = ContainerEvents.Apply(Created(), Event("start"))!;
        Assert.Same(running, ContainerEvents.Apply(running, Event("create", ("name", "web-1"))));
        Assert.Null(ContainerEvents.Apply(null, Event("start")));
        Assert.Null(ContainerEvents.Apply(null, Event("die", ("exitCode", "1"))));
    }

    [Fact]
    public void Only_events_that_change_the_listing_are_applied_and_only_a_start_is_inspected()
    {
        Assert.True(ContainerEvents.Changes(Event("health_status: unhealthy")));
        Assert.False(ContainerEvents.Changes(Event("exec_start: sh")));
        Assert.False(ContainerEvents.Changes(Event("kill")));
        Assert.False(ContainerEvents.Changes(new EngineEvent("network", "create", "n1", new Dictionary<string, string>(), T)));
        Assert.True(ContainerEvents.NeedsInspect(Event("start")));
        Assert.True(ContainerEvents.NeedsInspect(Event("create")));
        Assert.False(ContainerEvents.NeedsInspect(Event("die")));
    }
}
