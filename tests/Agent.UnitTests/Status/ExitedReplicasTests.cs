using System.Text.Json;
using Agent.Cli.Client;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

/// <summary>probe-18 F8: a replica that exited and that its restart policy leaves so is final, not "waiting for replicas".</summary>
public sealed class ExitedReplicasTests
{
    private static ObservedContainer Exited(int? code, int failures = 0) =>
        new("id1", "g-o-1", "o", 1, "h", ContainerState.Exited, HealthState.None, code) { Failures = failures };

    [Theory]
    [InlineData(RestartMode.No, 0, 0, 0, true, true)]
    [InlineData(RestartMode.No, 0, 1, 0, true, false)]
    [InlineData(RestartMode.OnFailure, 0, 0, 0, true, true)]
    [InlineData(RestartMode.OnFailure, 3, 0, 0, true, true)]
    [InlineData(RestartMode.OnFailure, 3, 1, 2, false, false)] // retries left: started again
    [InlineData(RestartMode.OnFailure, 3, 1, 4, true, false)] // retries spent
    [InlineData(RestartMode.OnFailure, 0, 1, 9, false, false)] // on-failure without a limit retries forever
    [InlineData(RestartMode.Always, 0, 0, 0, false, false)]
    [InlineData(RestartMode.UnlessStopped, 0, 1, 0, false, false)]
    public void The_restart_policy_decides_whether_an_exit_is_final(RestartMode mode, int maxRetries, int code, int failures, bool final, bool completed)
    {
        var left = ExitedReplicas.Of(Exited(code, failures), new RestartPolicy(mode, maxRetries));
        Assert.Equal(final, left is not null);
        if (left is not null) Assert.Equal(completed, left.Completed);
    }

    [Fact]
    public void Running_user_stopped_and_never_started_containers_are_not_final_exits()
    {
        Assert.Null(ExitedReplicas.Of(Exited(0) with { State = ContainerState.Running }, RestartPolicy.No));
        Assert.Null(ExitedReplicas.Of(Exited(0) with { State = ContainerState.Created }, RestartPolicy.No));
        Assert.Null(ExitedReplicas.Of(Exited(137) with { StoppedByUser = "engine" }, RestartPolicy.No));
        var engine = ExitedReplicas.Of(Exited(0) with { StoppedWithEngine = true }, RestartPolicy.No)!;
        Assert.True(engine.WithEngine);
        Assert.False(engine.Completed); // stopped, not run to its end
    }

    private static Dictionary<string, ConditionValue> Decide(ReconcileOutcome o) => GroupConditions.Decide(o).ToDictionary(c => c.Type);

    [Fact]
    public void A_one_shot_that_exited_0_under_restart_no_is_ready_completed_and_not_progressing()
    {
        var c = Decide(new ReconcileOutcome(2)
        {
            NotReady = "o 0/1 ready", ShortReplicas = 1, StartHint = "agent start servicegroup/g",
            Exited = [ExitedReplicas.Of(Exited(0), RestartPolicy.No)!],
        });
        Assert.Equal((true, "Completed"), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason));
        Assert.Equal("generation 2 applied; g-o-1 completed (exit code 0) and restart: no leaves it so (agent start servicegroup/g runs it again)",
            c[ConditionTypes.Ready].Message);
        Assert.Equal((false, "Completed"), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
        Assert.False(c[ConditionTypes.Degraded].Status);
    }

    [Fact]
    public void A_failed_exit_under_restart_no_is_not_ready_not_progressing_and_degraded_naming_the_container_code_and_hint()
    {
        var c = Decide(new ReconcileOutcome(2)
        {
            NotReady = "o 0/1 ready", ShortReplicas = 1, StartHint = "agent up composeproject/p",
            Exited = [ExitedReplicas.Of(Exited(3), RestartPolicy.No)!],
        });
        const string why = "g-o-1 exited with code 3 and restart: no leaves it so (agent up composeproject/p starts it again)";
        Assert.Equal((false, "Exited", "o 0/1 ready; " + why), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason, c[ConditionTypes.Ready].Message));
        Assert.Equal((false, "Exited"), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
        Assert.Equal((true, "Exited", why), (c[ConditionTypes.Degraded].Status, c[ConditionTypes.Degraded].Reason, c[ConditionTypes.Degraded].Message));
    }

    [Fact]
    public void A_dependent_held_behind_a_one_shot_that_failed_for_good_does_not_progress()
    {
        // probe-30 F11: migrate exit 3 (restart: no), app depends on it completing: Progressing True WaitingForReplicas for
        // ever, and `agent wait --for=condition=Ready` ran to its timeout.
        var failed = ExitedReplicas.Of(Exited(3), RestartPolicy.No)!;
        var held = new Hold(Hold.DependencyNotRunning, $"not done until {failed.Name} runs: create p-app-1, start p-app-1: migrate must complete first");
        var c = Decide(new ReconcileOutcome(2)
        {
            NotReady = "o 0/1 ready, app 0/1 ready", ShortReplicas = 2, StartHint = "agent up composeproject/p", Held = [held], Exited = [failed],
        });
        Assert.Equal((false, "Exited"), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason));
        Assert.Equal((false, "Exited"), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
        Assert.Equal((true, Hold.DependencyNotRunning), (c[ConditionTypes.Degraded].Status, c[ConditionTypes.Degraded].Reason));

        // Held behind something that can still change (a dependency in its back-off, not a final exit): it progresses.
        var waiting = Decide(new ReconcileOutcome(2)
        {
            NotReady = "o 0/1 ready, app 0/1 ready", ShortReplicas = 2, Exited = [failed],
            Held = [new Hold(Hold.DependencyNotRunning, "not done until p-db-1 runs: create p-app-1: db exited and waits out its crash back-off")],
        });
        Assert.True(waiting[ConditionTypes.Progressing].Status);
    }

    [Fact]
    public void Retries_spent_keep_their_BackoffLimitExceeded_hold_and_stop_progressing()
    {
        var c = Decide(new ReconcileOutcome(2)
        {
            NotReady = "o 0/1 ready", ShortReplicas = 1, Held = [new Hold(Hold.BackoffLimitExceeded, "g-o-1: restart limit reached")],
            Exited = [ExitedReplicas.Of(Exited(1, failures: 4), new RestartPolicy(RestartMode.OnFailure, 3))!],
        });
        Assert.Equal((false, "Exited"), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason));
        Assert.Contains("g-o-1 failed 4 times (last exit code 1) and restart: on-failure:3 gave up", c[ConditionTypes.Ready].Message);
        Assert.False(c[ConditionTypes.Progressing].Status);
        Assert.Equal(Hold.BackoffLimitExceeded, c[ConditionTypes.Degraded].Reason);
    }

    [Fact]
    public void A_replica_still_short_for_another_reason_keeps_the_group_progressing()
    {
        var c = Decide(new ReconcileOutcome(2)
        {
            NotReady = "o 0/1 ready, web 1/2 ready", ShortReplicas = 2,
            Exited = [ExitedReplicas.Of(Exited(0), RestartPolicy.No)!],
        });
        Assert.Equal((false, "ReplicasNotReady"), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason));
        Assert.Equal((true, "WaitingForReplicas"), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
    }

    [Fact]
    public void A_pending_operation_wins_over_a_final_exit()
    {
        var c = Decide(new ReconcileOutcome(2) { Operations = 1, NotReady = "o 0/1 ready", ShortReplicas = 1, Exited = [ExitedReplicas.Of(Exited(0), RestartPolicy.No)!] });
        Assert.Equal((true, "Applying"), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
    }

    private static JsonElement Status(string readyStatus, string readyReason, string progressingReason, string reconciled) => JsonDocument.Parse($$"""
        {"kind":"ServiceGroup","name":"g","lastReconcileTime":"{{reconciled}}","conditions":[
          {"type":"Ready","status":"{{readyStatus}}","reason":"{{readyReason}}","message":"o 0/1 ready"},
          {"type":"Progressing","status":"False","reason":"{{progressingReason}}","message":""}]}
        """).RootElement.Clone();

    [Fact]
    public void Agent_wait_for_Ready_ends_once_two_reconciles_after_the_first_look_still_say_Exited()
    {
        var settled = new WaitCommand.SettledExit();
        Assert.False(settled.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:00Z")));
        Assert.False(settled.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:00Z"))); // same reconcile
        Assert.False(settled.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:02Z")));
        Assert.True(settled.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:04Z")));

        // An agent start in between: the count starts over; other reasons and other waits never end early.
        var restarted = new WaitCommand.SettledExit();
        restarted.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:00Z"));
        restarted.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:02Z"));
        Assert.False(restarted.Observe("Ready", "True", Status("False", "Progressing", "Applying", "2026-12-01T12:00:03Z")));
        Assert.False(restarted.Observe("Ready", "True", Status("False", "Exited", "Exited", "2026-12-01T12:00:05Z")));
        var other = new WaitCommand.SettledExit();
        foreach (var t in new[] { "00", "02", "04", "06" })
        {
            Assert.False(other.Observe("Ready", "True", Status("False", "ReplicasNotReady", "WaitingForReplicas", $"2026-12-01T12:00:{t}Z")));
            Assert.False(other.Observe("Ready", "False", Status("False", "Exited", "Exited", $"2026-12-01T12:00:{t}Z")));
        }
    }

    [Fact]
    public void A_group_a_user_stopped_says_in_progressing_what_starts_it_again()
    {
        // probe-32 F9: Progressing False StoppedByUser had an empty message.
        var c = Decide(new ReconcileOutcome(2) { NotReady = "o 0/1 ready", StoppedByUser = "Stopped by user: o-s-1", StartHint = "agent start composeproject/o" });
        Assert.Equal(("StoppedByUser", "Stopped by user: o-s-1"), (c["Ready"].Reason, c["Ready"].Message));
        Assert.Equal(("StoppedByUser", "nothing starts what a user stopped until a user does (agent start composeproject/o, or a start through the API)"),
            (c["Progressing"].Reason, c["Progressing"].Message));
    }

    [Fact]
    public void Agent_wait_for_Ready_behind_a_users_stop_ends_once_it_has_stayed_so_a_few_seconds()
    {
        // probe-32 F7: Ready and Progressing False StoppedByUser (nothing starts it until a user does); the wait ran to its timeout.
        var t0 = DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var wait = new WaitCommand.SettledExit();
        var stopped = Status("False", "StoppedByUser", "StoppedByUser", "2026-12-01T12:00:00Z");
        Assert.False(wait.Observe("Ready", "True", stopped, t0));
        Assert.False(wait.Observe("Ready", "True", stopped, t0.AddSeconds(4)));
        Assert.True(wait.Observe("Ready", "True", stopped, t0.AddSeconds(5)));
        var forFalse = new WaitCommand.SettledExit();
        Assert.False(forFalse.Observe("Ready", "False", stopped, t0));
        Assert.False(forFalse.Observe("Ready", "False", stopped, t0.AddSeconds(9)));
    }

    [Fact]
    public void Agent_wait_for_Ready_on_a_stopped_object_ends_once_it_has_stayed_held_a_few_seconds()
    {
        // probe-21: agent wait on a Stopped project ran to its timeout.
        static JsonElement Held(string status) => JsonDocument.Parse($$"""
            {"kind":"ComposeProject","name":"p","lastReconcileTime":"2026-12-01T12:00:00Z","conditions":[
              {"type":"Ready","status":"False","reason":"Stopped","message":"stopped"},
              {"type":"Suspended","status":"{{status}}","reason":"Stopped","message":"agent stop composeproject/p; agent start composeproject/p starts it"}]}
            """).RootElement.Clone();
        var t0 = DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var wait = new WaitCommand.SettledExit();
        Assert.False(wait.Observe("Ready", "True", Held("True"), t0));
        Assert.False(wait.Observe("Ready", "True", Held("True"), t0.AddSeconds(4)));
        Assert.True(wait.Observe("Ready", "True", Held("True"), t0.AddSeconds(5)));
        // Started in between: the clock starts over; a wait for Ready=False never ends early on a hold.
        var started = new WaitCommand.SettledExit();
        started.Observe("Ready", "True", Held("True"), t0);
        Assert.False(started.Observe("Ready", "True", Held("False"), t0.AddSeconds(3)));
        Assert.False(started.Observe("Ready", "True", Held("True"), t0.AddSeconds(6)));
        Assert.False(new WaitCommand.SettledExit().Observe("Ready", "False", Held("True"), t0.AddSeconds(60)));
        Assert.Equal("Stopped", WaitCommand.SettledExit.Held(Held("True"))!.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public void A_wait_on_a_held_object_says_how_to_lift_the_hold()
    {
        static JsonElement Suspended(string reason, string message) =>
            JsonDocument.Parse($$"""{"type":"Suspended","status":"True","reason":"{{reason}}","message":"{{message}}"}""").RootElement;
        Assert.Equal("agent start servicegroup/sg lifts it", WaitCommand.SettledExit.Lift("ServiceGroup", "sg", Suspended("Stopped", "stopped through the API")));
        Assert.Equal("agent up composeproject/p1 lifts it", WaitCommand.SettledExit.Lift("ComposeProject", "p1", Suspended("Down", "taken down through the API")));
        Assert.Equal("remove suspend: true from its manifest to lift it", WaitCommand.SettledExit.Lift("ServiceGroup", "sg", Suspended("Suspended", "spec.suspend is true")));
    }
}
