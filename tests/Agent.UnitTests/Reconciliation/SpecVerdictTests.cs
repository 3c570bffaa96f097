using Agent.Core.Planning;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.UnitTests.Reconciliation;

/// <summary>Which failed operations of an update are a verdict on its new spec (rolled back and held, RolledBack).</summary>
public sealed class SpecVerdictTests
{
    private static readonly Operation Start = new(1, OperationKind.StartContainer, "service:web:1", "new container of a start-first update", []);

    [Fact]
    public void A_start_the_engine_refuses_for_the_spec_is_a_verdict()
    {
        Assert.True(PlanExecutor.JudgesTheSpec(Start, new EngineException("container_start failed (500): driver failed programming external connectivity: port is already allocated", 500)));
        Assert.True(PlanExecutor.JudgesTheSpec(Start, new EngineException("container_start failed (400): exec: \"nope\": executable file not found in $PATH", 400)));
    }

    [Fact]
    public void A_start_failed_on_the_engines_own_crash_leftovers_or_its_absence_is_no_verdict()
    {
        Assert.False(PlanExecutor.JudgesTheSpec(Start, new EngineException("container_start failed (500): task 29caf0: already exists: unknown", 500)));
        Assert.False(PlanExecutor.JudgesTheSpec(Start, new EngineException("container_start failed (500): id already in use", 500)));
        Assert.False(PlanExecutor.JudgesTheSpec(Start, new EngineUnavailableException("unix:///var/run/docker.sock")));
    }
}
