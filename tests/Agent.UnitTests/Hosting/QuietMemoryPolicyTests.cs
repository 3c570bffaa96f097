using Agent.Hosting;

namespace Agent.UnitTests.Hosting;

/// <summary>Memory grown by use goes back once the agent is quiet; idle life and refaulted code pages never trigger it.</summary>
public sealed class QuietMemoryPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);
    private const long Base = 32 * 1024;

    private static QuietMemoryPolicy AfterStartup()
    {
        var policy = new QuietMemoryPolicy(Quiet);
        policy.Released(T0, requests: 100, reconciles: 0, Base);
        Assert.False(policy.ShouldRelease(T0, requests: 100, reconciles: 0, busy: false, Base));
        return policy;
    }

    [Fact]
    public void Grown_memory_is_released_once_the_agent_has_been_quiet_for_the_period()
    {
        var policy = AfterStartup();
        Assert.False(policy.ShouldRelease(T0.AddSeconds(10), requests: 60_100, reconciles: 0, busy: false, Base + 19 * 1024)); // a burst
        Assert.False(policy.ShouldRelease(T0.AddSeconds(20), requests: 60_100, reconciles: 0, busy: false, Base + 19 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(39), requests: 60_100, reconciles: 0, busy: false, Base + 19 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(40), requests: 60_100, reconciles: 0, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void Nothing_is_released_while_requests_or_reconciles_keep_coming()
    {
        var policy = AfterStartup();
        for (var i = 1; i <= 20; i++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(20 * i), requests: 100 + i, reconciles: 0, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void A_running_reconcile_is_not_quiet_even_when_no_new_one_started()
    {
        var policy = AfterStartup();
        Assert.False(policy.ShouldRelease(T0.AddSeconds(60), requests: 100, reconciles: 0, busy: true, Base + 19 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(90), requests: 100, reconciles: 0, busy: true, Base + 19 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(91), requests: 100, reconciles: 0, busy: false, Base + 19 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(92), requests: 100, reconciles: 0, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void Growth_within_the_gen0_budget_of_an_idle_agent_is_left_alone()
    {
        var policy = AfterStartup();
        Assert.False(policy.ShouldRelease(T0.AddSeconds(300), requests: 100, reconciles: 0, busy: false, Base + QuietMemoryPolicy.Growth - 1));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(310), requests: 100, reconciles: 0, busy: false, Base + QuietMemoryPolicy.Growth));
    }

    [Fact]
    public void After_a_release_growth_counts_from_what_it_left_so_grown_live_data_is_not_released_again_and_again()
    {
        var policy = AfterStartup();
        Assert.True(policy.ShouldRelease(T0.AddSeconds(60), requests: 100, reconciles: 0, busy: false, Base + 80 * 1024));
        policy.Released(T0.AddSeconds(60), requests: 100, reconciles: 0, Base + 70 * 1024); // a larger folder: most of it is live
        Assert.False(policy.ShouldRelease(T0.AddSeconds(70), requests: 100, reconciles: 0, busy: false, Base + 70 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(80), requests: 100, reconciles: 0, busy: false, Base + 74 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(90), requests: 100, reconciles: 0, busy: false, Base + 76 * 1024));
    }

    [Fact]
    public void Nothing_is_released_before_the_first_release_set_a_baseline()
    {
        var policy = new QuietMemoryPolicy(Quiet);
        Assert.False(policy.ShouldRelease(T0, requests: 1, reconciles: 0, busy: false, 500 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddMinutes(5), requests: 1, reconciles: 0, busy: false, 500 * 1024));
    }

    [Fact]
    public void Code_pages_a_converge_touched_are_released_once_quiet_but_idle_refaults_are_not()
    {
        // A cold converge of 100 containers after the start-up release: anonymous +5 MiB, file-backed +28 MiB (bench idle 100).
        var policy = new QuietMemoryPolicy(Quiet);
        policy.Released(T0.AddSeconds(-60), requests: 100, reconciles: 0, Base, fileKib: 12 * 1024);
        Assert.False(policy.ShouldRelease(T0, requests: 100, reconciles: 0, busy: false, Base, fileKib: 12 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(20), requests: 400, reconciles: 0, busy: false, Base + 5 * 1024, fileKib: 40 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(50), requests: 400, reconciles: 0, busy: false, Base + 5 * 1024, fileKib: 40 * 1024));
        // What idle life faults back after that release (about 10 MiB) never triggers another.
        policy.Released(T0.AddSeconds(50), requests: 400, reconciles: 0, Base + 5 * 1024, fileKib: 12 * 1024);
        for (var i = 1; i <= 20; i++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(50 + 30 * i), requests: 400, reconciles: 0, busy: false, Base + 5 * 1024, fileKib: (12 + 10) * 1024));
    }

    [Fact]
    public void Pages_that_probes_and_scrapes_fault_back_after_a_release_never_trigger_another_but_the_next_work_does()
    {
        // probe-41: a /livez every 10 s faulted back 16 MiB after each release, and the agent released after nearly every probe.
        var policy = new QuietMemoryPolicy(Quiet);
        policy.Released(T0, requests: 400, reconciles: 0, Base, fileKib: 7 * 1024);
        for (var i = 1; i <= 30; i++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(10 * i), requests: 400, reconciles: 0, busy: false, Base + 1024, fileKib: (7 + 16 + i % 3) * 1024));
        // A resync (a reconcile started) touches its code; once quiet again, that goes back, and idle life's pages with it.
        Assert.False(policy.ShouldRelease(T0.AddSeconds(310), requests: 400, reconciles: 1, busy: false, Base + 1024, fileKib: 37 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(311), requests: 400, reconciles: 1, busy: false, Base + 1024, fileKib: 37 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(312), requests: 400, reconciles: 1, busy: false, Base + 1024, fileKib: 37 * 1024));
        policy.Released(T0.AddSeconds(312), requests: 400, reconciles: 1, Base, fileKib: 7 * 1024);
        Assert.False(policy.ShouldRelease(T0.AddSeconds(400), requests: 400, reconciles: 1, busy: false, Base, fileKib: 30 * 1024));
    }

    [Fact]
    public void Anonymous_growth_without_work_is_still_released()
    {
        var policy = AfterStartup();
        Assert.True(policy.ShouldRelease(T0.AddSeconds(60), requests: 100, reconciles: 0, busy: false, Base + QuietMemoryPolicy.Growth, fileKib: 0));
    }

    [Fact]
    public void What_a_resync_faulted_back_goes_two_seconds_after_it_was_seen_running_not_a_quiet_period_later()
    {
        // Measured on the AOT build with 150 replicas: each resync took file-backed pages from ~16 to ~28 MiB (12 to 30 MiB
        // counted from the page-out); with the 10 s quiet period they stayed 14 s of every minute.
        var policy = new QuietMemoryPolicy(TimeSpan.FromSeconds(10));
        policy.Released(T0, requests: 7, reconciles: 3, Base, fileKib: 12 * 1024);
        Assert.False(policy.ShouldRelease(T0.AddSeconds(30), requests: 7, reconciles: 3, busy: false, Base, fileKib: 17 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(60), requests: 7, reconciles: 4, busy: true, Base + 3 * 1024, fileKib: 24 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(61), requests: 7, reconciles: 4, busy: false, Base + 3 * 1024, fileKib: 30 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(62), requests: 7, reconciles: 4, busy: false, Base + 3 * 1024, fileKib: 30 * 1024));
    }

    [Fact]
    public void An_api_client_still_gets_the_whole_quiet_period_even_when_reconciles_end_sooner()
    {
        var policy = new QuietMemoryPolicy(TimeSpan.FromSeconds(10));
        policy.Released(T0, requests: 7, reconciles: 3, Base);
        Assert.False(policy.ShouldRelease(T0.AddSeconds(30), requests: 900, reconciles: 4, busy: false, Base + 19 * 1024));
        for (var s = 31; s < 40; s++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(s), requests: 900, reconciles: 4, busy: false, Base + 19 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(40), requests: 900, reconciles: 4, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void Releases_are_at_least_a_quiet_period_apart_when_reconciles_keep_ending_like_a_crash_loop()
    {
        var policy = new QuietMemoryPolicy(TimeSpan.FromSeconds(10));
        policy.Released(T0, requests: 7, reconciles: 0, Base);
        var releases = new List<int>();
        for (var s = 1; s <= 60; s++)
        {
            // a replica dies every 3 s; each restart is a reconcile that leaves the heap grown
            if (policy.ShouldRelease(T0.AddSeconds(s), requests: 7, reconciles: s / 3, busy: false, Base + 8 * 1024))
            {
                releases.Add(s);
                policy.Released(T0.AddSeconds(s), requests: 7, reconciles: s / 3, Base);
            }
        }
        Assert.NotEmpty(releases);
        Assert.All(releases.Zip(releases.Skip(1)), pair => Assert.True(pair.Second - pair.First >= 10, $"releases at {pair.First} s and {pair.Second} s"));
        Assert.InRange(releases.Count, 1, 6);
    }

    /// <summary>A job's run grows file pages, not the heap: the release pages them out without a collection, and the
    /// heap's baseline stays where the last collection left it, so its slow growth still adds up to one.</summary>
    [Fact]
    public void A_release_of_file_pages_only_runs_no_collection_and_keeps_the_heaps_baseline()
    {
        var policy = AfterStartup();
        const long Files = 10 * 1024;
        policy.Released(T0.AddSeconds(1), requests: 100, reconciles: 0, Base, Files);
        Assert.False(policy.ShouldRelease(T0.AddSeconds(38), requests: 100, reconciles: 1, busy: false, Base + 4 * 1024, Files + 19 * 1024)); // a run's work
        Assert.True(policy.ShouldRelease(T0.AddSeconds(40), requests: 100, reconciles: 1, busy: false, Base + 4 * 1024, Files + 19 * 1024));
        Assert.False(policy.HeapGrew(Base + 4 * 1024));
        policy.Released(T0.AddSeconds(40), requests: 100, reconciles: 1, Base + 4 * 1024, Files, collected: false);
        Assert.True(policy.HeapGrew(Base + 6 * 1024)); // counted from the last collection's baseline, not from Base + 4 MiB
    }
}
