using Agent.Core.Jobs;

namespace Agent.UnitTests.Jobs;

public sealed class RecoveredRunsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static JobRun Run(string id, string hash, int minutes, RunPhase phase = RunPhase.Succeeded) =>
        new() { Id = id, Trigger = RunTriggers.Manifest, Start = T0.AddMinutes(minutes), TemplateHash = hash, Phase = phase };

    [Fact]
    public void A_history_one_run_behind_takes_the_recovered_runs_template_so_the_changed_job_does_not_run_again()
    {
        // probe-16 F4: v1 ran and was saved; v2 ran but its save failed; the containers of both are there.
        var stale = new JobHistory { TemplateHash = "v1", Runs = [Run("j-m1", "v1", 0)] };
        var (merged, recovered) = RecoveredRuns.Merge(stale, [Run("j-m1", "v1", 0), Run("j-m2", "v2", 5, RunPhase.Running)]);
        Assert.Equal("j-m2", Assert.Single(recovered).Id);
        Assert.Equal("v2", merged.TemplateHash);
        Assert.Equal(["j-m1", "j-m2"], merged.Runs.Select(r => r.Id));
    }

    [Fact]
    public void A_recovered_run_older_than_the_historys_newest_run_does_not_change_its_template()
    {
        // a reverted Job (v1 -> v2 -> v1) whose old v1 container is still there: the history's v2 run is newer
        var history = new JobHistory { TemplateHash = "v2", Runs = [Run("j-m2", "v2", 5)] };
        var (merged, recovered) = RecoveredRuns.Merge(history, [Run("j-m1", "v1", 0)]);
        Assert.Single(recovered);
        Assert.Equal("v2", merged.TemplateHash);
    }

    [Fact]
    public void A_history_whose_runs_all_expired_takes_the_template_of_a_run_found_on_the_engine()
    {
        var history = new JobHistory { TemplateHash = "v1" };
        var (merged, _) = RecoveredRuns.Merge(history, [Run("j-m2", "v2", 5)]);
        Assert.Equal("v2", merged.TemplateHash);
    }

    [Fact]
    public void A_lost_history_is_rebuilt_with_the_newest_runs_template_and_schedule_time()
    {
        var scheduled = T0.AddMinutes(10);
        var (merged, recovered) = RecoveredRuns.Merge(new JobHistory(),
            [Run("c-1", "v1", 0), Run("c-2", "v2", 10) with { ScheduledTime = scheduled, Trigger = RunTriggers.Schedule }]);
        Assert.Equal(2, recovered.Count);
        Assert.Equal("v2", merged.TemplateHash);
        Assert.Equal(scheduled, merged.Cursor);
        Assert.Equal(scheduled, merged.LastScheduleTime);
    }

    [Fact]
    public void Runs_the_history_knows_change_nothing_and_a_run_without_a_template_label_does_not_clear_the_template()
    {
        var history = new JobHistory { TemplateHash = "v1", Runs = [Run("j-m1", "v1", 0)] };
        var (same, none) = RecoveredRuns.Merge(history, [Run("j-m1", "v2", 0)]);
        Assert.Empty(none);
        Assert.Same(history, same);
        var (merged, one) = RecoveredRuns.Merge(history, [Run("j-m9", "v1", 9) with { TemplateHash = null }]);
        Assert.Single(one);
        Assert.Equal("v1", merged.TemplateHash);
    }
}
