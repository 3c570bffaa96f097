using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Http;
using static Agent.UnitTests.Planning.PlanFixtures;

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

    private static readonly ServiceGroup Project = Group(Service("db"), Service("app", 2, s => s.DependsOn("db", DependencyCondition.Started)));

    [Fact]
    public void A_service_stop_or_start_names_an_unknown_service()
    {
        Assert.Equal("ComposeProject \"g\" has no service \"web\" (its services: db, app)", ComposeStopRules.ServiceRefusal(Project, "web"));
        Assert.Null(ComposeStopRules.ServiceRefusal(Project, "app"));
    }

    /// <summary>probe-22 F10: start of one service of a project stopped as a whole was refused; docker compose start S
    /// starts S and what it depends on.</summary>
    [Fact]
    public void A_start_of_one_service_takes_what_it_depends_on_through_others_and_leaves_the_rest_stopped()
    {
        var project = Group(Service("db"), Service("cache"), Service("migrate", 1, s => s.DependsOn("db", DependencyCondition.Healthy)),
            Service("app", 2, s => s.DependsOn("migrate", DependencyCondition.Completed)), Service("web", 1, s => s.DependsOn("app", DependencyCondition.Started)));
        Assert.Equal(["app", "db", "migrate"], ComposeStopRules.WithDependencies(project, "app").Order(StringComparer.Ordinal));
        Assert.Equal(["cache"], ComposeStopRules.WithDependencies(project, "cache"));
        var only = ComposeStopRules.OnlyServices(project, ComposeStopRules.WithDependencies(project, "app"));
        Assert.Equal(["db", "migrate", "app"], only.Spec.Services.Select(s => s.Name));

        var observed = Observed(Running(project.Spec.Services[0], 1) with { State = ContainerState.Exited },
            Running(project.Spec.Services[1], 1) with { State = ContainerState.Exited }, Running(project.Spec.Services[4], 1) with { State = ContainerState.Exited },
            Running(project.Spec.Services[3], 1) with { State = ContainerState.Exited });
        Assert.Equal(["g-cache-1", "g-web-1"], GroupStartTargets.LeftStopped(observed, ComposeStopRules.WithDependencies(project, "app")).Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_service_stop_stops_only_that_services_running_or_paused_containers()
    {
        var app = Project.Spec.Services[1];
        var observed = Observed(Running(Project.Spec.Services[0], 1), Running(app, 2) with { State = ContainerState.Paused }, Running(app, 1),
            Running(app, 3) with { State = ContainerState.Exited });
        Assert.Equal(["g-app-1", "g-app-2"], ComposeStopRules.StopTargets(observed, "app").Select(c => c.Name));
    }

    [Fact]
    public void A_service_start_starts_that_services_stopped_containers_after_what_it_depends_on()
    {
        // Like docker compose start app: app and the services it depends on; a dependency stopped too starts first.
        var (db, app) = (Project.Spec.Services[0], Project.Spec.Services[1]);
        var observed = Observed(Running(db, 1) with { State = ContainerState.Exited }, Running(app, 1) with { State = ContainerState.Exited }, Running(app, 2));
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, start requested (exited)
            #2 container:g-app-1, StartContainer, start requested (exited) (after #1)
            """, StartPlanner.PlanStart(ComposeStopRules.OnlyServices(Project, ComposeStopRules.WithDependencies(Project, "app")), observed, PlanInput.DefaultDependencyTimeout).ToString());
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, start requested (exited)
            """, StartPlanner.PlanStart(ComposeStopRules.OnlyServices(Project, ComposeStopRules.WithDependencies(Project, "db")), observed, PlanInput.DefaultDependencyTimeout).ToString());
    }
}
