using Agent.Core.Jobs;
using Agent.Core.Model;
using Microsoft.Extensions.Time.Testing;
using static Agent.UnitTests.Jobs.CronSpecs;

namespace Agent.UnitTests.Jobs;

/// <summary>The pure schedule decision, driven by a fake clock the way the runner drives it: decide, apply, advance.</summary>
public sealed class CronDecisionTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs the decision at each step of the clock and applies it as the runner does; returns the started schedule times.</summary>
    private sealed class Simulation(CronJobSpec spec, FakeTimeProvider clock)
    {
        public JobHistory History { get; set; } = new() { Since = clock.GetUtcNow() };
        public List<DateTimeOffset> Started { get; } = [];
        public List<string> Killed { get; } = [];
        public long Missed => History.MissedRuns;
        public long Skipped => History.SkippedRuns;

        public CronDecision Tick()
        {
            var now = clock.GetUtcNow();
            var decision = CronDecisions.Decide(spec, History, now);
            var runs = History.Runs.Select(r => decision.Kill.Contains(r.Id) ? r with { Phase = RunPhase.Failed, End = now, Reason = RunReasons.Replaced } : r).ToList();
            Killed.AddRange(decision.Kill);
            if (decision.Start is { } due)
            {
                Started.Add(due);
                runs.Add(new JobRun { Id = $"run-{Started.Count}", Trigger = RunTriggers.Schedule, ScheduledTime = due, Start = now });
            }
            History = History with
            {
                Cursor = decision.Cursor, Runs = runs,
                LastScheduleTime = decision.Start ?? History.LastScheduleTime,
                MissedRuns = History.MissedRuns + decision.Missed,
                SkippedRuns = History.SkippedRuns + decision.Skipped,
            };
            return decision;
        }

        public void FinishAll() => History = History with { Runs = History.Runs.Select(r => r with { Phase = RunPhase.Succeeded, End = clock.GetUtcNow() }).ToList() };

        public void Every(TimeSpan step, TimeSpan total, bool finishEachRun = true)
        {
            for (var t = TimeSpan.Zero; t < total; t += step)
            {
                clock.Advance(step);
                Tick();
                if (finishEachRun) FinishAll();
            }
        }
    }

    [Fact]
    public void A_six_field_every_second_schedule_starts_one_run_per_second()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("* * * * * *"), clock);
        sim.Every(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => Utc("2026-01-01T00:00:00").AddSeconds(i)), sim.Started);
        Assert.Equal(0, sim.Missed);
    }

    /// <summary>probe-36 6: the times that passed while a new CronJob's file settled (Agent:JobSettle) were counted missed.</summary>
    [Fact]
    public void A_new_cronjob_begins_its_schedule_once_its_template_settled_and_counts_nothing_missed_before()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("*/2 * * * * *"), clock);
        clock.Advance(TimeSpan.FromSeconds(5)); // the settle: times :02 and :04 pass while the file is not quiet yet
        sim.History = CronDecisions.BeginAfterSettle(sim.History, Utc("2026-01-01T00:00:05"));
        Assert.Null(sim.Tick().Start);
        sim.Every(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        Assert.Equal([Utc("2026-01-01T00:00:06"), Utc("2026-01-01T00:00:08")], sim.Started);
        Assert.Equal(0, sim.Missed);

        // Once it has decided (or run) anything, a settle (an edit, an agent restart) changes nothing: an outage counts.
        var decided = sim.History;
        Assert.Same(decided, CronDecisions.BeginAfterSettle(decided, Utc("2026-01-01T00:01:00")));
        var fresh = new JobHistory { Since = Utc("2026-01-01T00:00:00") };
        Assert.Same(fresh, CronDecisions.BeginAfterSettle(fresh, Utc("2025-12-31T23:59:00"))); // never moves back
    }

    [Fact]
    public void Nothing_runs_for_times_before_the_cronjob_was_first_seen()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:30:00"));
        var sim = new Simulation(Cron("@hourly"), clock);
        var decision = sim.Tick();
        Assert.Null(decision.Start);
        Assert.Equal(Utc("2026-01-01T01:00:00"), decision.Next);
    }

    [Fact]
    public void After_an_outage_only_the_most_recent_time_runs_once_and_the_others_count_as_missed()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("@hourly"), clock);
        sim.Tick();
        clock.Advance(TimeSpan.FromHours(5.5)); // the agent was down from 00:00 to 05:30
        var decision = sim.Tick();
        Assert.Equal(Utc("2026-01-01T05:00:00"), decision.Start);
        Assert.Equal(4, decision.Missed);
        Assert.Null(sim.Tick().Start); // never a burst, and never the same time twice
        Assert.Single(sim.Started);
    }

    [Fact]
    public void A_catch_up_beyond_the_starting_deadline_is_skipped_and_counted()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("@hourly", startingDeadline: TimeSpan.FromMinutes(2)), clock);
        clock.Advance(TimeSpan.FromMinutes(61)); // 01:00 was due one minute ago: within the deadline
        Assert.Equal(Utc("2026-01-01T01:00:00"), sim.Tick().Start);
        clock.Advance(TimeSpan.FromMinutes(63)); // 02:00 was due three minutes ago
        var late = sim.Tick();
        Assert.Null(late.Start);
        Assert.Equal(1, late.Missed);
        Assert.Contains("beyond startingDeadline", late.Message);
        Assert.Null(sim.Tick().Start);
        Assert.Equal(1, sim.Missed);
    }

    [Fact]
    public void Forbid_skips_a_time_while_a_run_is_active()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("* * * * * *", ConcurrencyPolicy.Forbid), clock);
        sim.Every(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), finishEachRun: false);
        Assert.Equal([Utc("2026-01-01T00:00:01")], sim.Started);
        Assert.Equal(4, sim.Skipped);
        sim.FinishAll();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Utc("2026-01-01T00:00:06"), sim.Tick().Start);
    }

    [Fact]
    public void Replace_kills_the_active_run_and_starts_the_new_one()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("* * * * * *", ConcurrencyPolicy.Replace), clock);
        sim.Every(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), finishEachRun: false);
        Assert.Equal(3, sim.Started.Count);
        Assert.Equal(["run-1", "run-2"], sim.Killed);
        Assert.Single(sim.History.Active);
    }

    [Fact]
    public void Allow_runs_concurrently()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("* * * * * *"), clock);
        sim.Every(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), finishEachRun: false);
        Assert.Equal(3, sim.History.Active.Count());
    }

    [Fact]
    public void Suspend_runs_nothing_and_resume_catches_up_once_as_kubernetes_does()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var suspended = new Simulation(Cron("@hourly", suspend: true), clock);
        clock.Advance(TimeSpan.FromHours(3.5));
        Assert.Null(suspended.Tick().Start);
        var resumed = new Simulation(Cron("@hourly"), clock) { History = suspended.History };
        var decision = resumed.Tick();
        Assert.Equal(Utc("2026-01-01T03:00:00"), decision.Start);
        Assert.Equal(2, decision.Missed);
    }

    [Fact]
    public void A_restart_with_the_saved_cursor_does_not_run_the_same_time_again()
    {
        var clock = new FakeTimeProvider(Utc("2026-01-01T00:00:00"));
        var sim = new Simulation(Cron("@hourly"), clock);
        clock.Advance(TimeSpan.FromHours(1.1));
        Assert.NotNull(sim.Tick().Start);
        var saved = sim.History;
        clock.Advance(TimeSpan.FromMinutes(20)); // the agent restarts at 01:26 with the history it saved
        var restarted = new Simulation(Cron("@hourly"), clock) { History = saved };
        Assert.Null(restarted.Tick().Start);
        Assert.Equal(0, restarted.Missed);
    }

    [Fact]
    public void Across_the_spring_gap_in_Berlin_a_daily_run_at_0230_runs_once_at_0300()
    {
        var clock = new FakeTimeProvider(Utc("2026-03-28T12:00:00"));
        var sim = new Simulation(Cron("30 2 * * *", zone: "Europe/Berlin"), clock);
        sim.Every(TimeSpan.FromMinutes(5), TimeSpan.FromHours(24));
        var start = Assert.Single(sim.Started);
        Assert.Equal(Utc("2026-03-29T01:00:00"), start); // 03:00 CEST
        Assert.Equal(0, sim.Missed);
    }

    [Fact]
    public void Across_the_autumn_overlap_in_Berlin_a_fixed_time_runs_once_and_an_interval_in_both_hours()
    {
        var clock = new FakeTimeProvider(Utc("2026-10-24T12:00:00"));
        var daily = new Simulation(Cron("30 2 * * *", zone: "Europe/Berlin"), clock);
        var quarter = new Simulation(Cron("*/15 * * * *", zone: "Europe/Berlin"), clock);
        for (var i = 0; i < 24 * 12; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            daily.Tick();
            quarter.Tick();
        }
        Assert.Equal([Utc("2026-10-25T00:30:00")], daily.Started);
        Assert.Equal(24 * 4, quarter.Started.Count); // one per quarter hour of real time
        var berlin = CronSchedule.Zone("Europe/Berlin")!;
        Assert.Equal(8, quarter.Started.Count(t => TimeZoneInfo.ConvertTime(t, berlin).Hour == 2 && t.Date == new DateTime(2026, 10, 25))); // 02:xx twice
        Assert.Equal(quarter.Started.Count, quarter.Started.Distinct().Count());
    }

    [Fact]
    public void Month_end_and_leap_day_schedules_run_on_the_days_that_exist()
    {
        var clock = new FakeTimeProvider(Utc("2027-12-31T12:00:00"));
        var lastDay = new Simulation(Cron("0 12 L * *"), clock);
        var thirtyFirst = new Simulation(Cron("0 12 31 * *"), clock);
        var leap = new Simulation(Cron("0 12 29 2 *"), clock);
        for (var day = 0; day < 366; day++)
        {
            clock.Advance(TimeSpan.FromDays(1));
            lastDay.Tick();
            thirtyFirst.Tick();
            leap.Tick();
        }
        Assert.Equal(12, lastDay.Started.Count);
        Assert.Contains(Utc("2028-02-29T12:00:00"), lastDay.Started);
        Assert.Equal(7, thirtyFirst.Started.Count);
        Assert.Equal([Utc("2028-02-29T12:00:00")], leap.Started);
        Assert.Equal(0, lastDay.Missed + thirtyFirst.Missed + leap.Missed);
    }
}
