using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.UnitTests.Reconciliation;

public sealed class InterruptedRunsTests
{
    private static readonly AgentLabels Labels = new("i1");
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ContainerSummary Container(ContainerState state = ContainerState.Created, bool runStart = true, int createdSeconds = -5, string instance = "i1")
    {
        var labels = new AgentLabels(instance).ForObject(new ObjectKey("Run", "r"));
        labels[Labels.Imperative] = "true";
        if (runStart) labels[Labels.RunStart] = "true";
        return new ContainerSummary("id1", "r", "busybox", state, HealthState.None, "", null, Start.AddSeconds(createdSeconds), labels);
    }

    private static bool Leftover(ContainerSummary c, bool madeHere = false) => InterruptedRuns.IsLeftover(Labels, c, Start, _ => madeHere);

    [Fact]
    public void A_run_still_created_from_before_this_process_is_a_leftover() => Assert.True(Leftover(Container()));

    [Fact]
    public void Started_runs_created_containers_runs_in_flight_here_and_other_instances_are_not()
    {
        Assert.False(Leftover(Container(ContainerState.Running)));
        Assert.False(Leftover(Container(ContainerState.Exited)));
        Assert.False(Leftover(Container(runStart: false))); // POST /containers: made to stay created
        Assert.False(Leftover(Container(createdSeconds: 1))); // made after this process started
        Assert.False(Leftover(Container(), madeHere: true));
        Assert.False(Leftover(Container(instance: "other")));
    }
}
