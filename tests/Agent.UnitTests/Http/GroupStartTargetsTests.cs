using Agent.Core.Model;
using Agent.Http;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Http;

public sealed class GroupStartTargetsTests
{
    private static readonly ServiceGroup Project = Group(Service("db"), Service("app", 2, s => s.DependsOn("db", DependencyCondition.Started)));

    /// <summary>CI, session 59: agent up arrived while a reconcile ran; that reconcile made the project and ran its one-shot,
    /// the start recorded the exited one-shot as a start of its own, left it to the reconcile's run, and the next reconcile
    /// ran it again on that record.</summary>
    [Fact]
    public void A_start_records_only_containers_seen_when_it_arrived_and_only_the_stopped_ones_of_its_services()
    {
        var (db, app) = (Project.Spec.Services[0], Project.Spec.Services[1]);
        var dbExited = Running(db, 1) with { Id = "db-old", State = ContainerState.Exited };
        var appStopping = Running(app, 1) with { Id = "app-1", StopInFlight = true };
        var appKept = Running(app, 2) with { Id = "app-2", State = ContainerState.Exited };
        var seen = Observed(dbExited, appStopping, appKept, Running(app, 3) with { Id = "app-3" });
        Assert.Equal(["db-old", "app-1"], GroupStartTargets.ToStart(seen, only: null, kept: ["app-2"], seenOnArrival: null));
        Assert.Equal(["db-old"], GroupStartTargets.ToStart(seen, only: new HashSet<string> { "db" }, kept: [], seenOnArrival: null));

        // Seen on arrival: nothing (the project was down). The reconcile that ran meanwhile made db and ran it; not recorded.
        var madeSince = Observed(Running(db, 1) with { Id = "db-new", State = ContainerState.Exited, ExitCode = 0 });
        Assert.Empty(GroupStartTargets.ToStart(madeSince, only: null, kept: [], seenOnArrival: new HashSet<string>()));
        Assert.Equal(["db-old"], GroupStartTargets.ToStart(seen, only: null, kept: ["app-1"], seenOnArrival: new HashSet<string> { "db-old" }));
    }
}
