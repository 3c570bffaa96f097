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
        policy.Released(activity: 100, Base);
        Assert.False(policy.ShouldRelease(T0, activity: 100, busy: false, Base));
        return policy;
    }

    [Fact]
    public void Grown_memory_is_released_once_the_agent_has_been_quiet_for_the_period()
    {
        var policy = AfterStartup();
        Assert.False(policy.ShouldRelease(T0.AddSeconds(10), activity: 60_100, busy: false, Base + 19 * 1024)); // a burst
        Assert.False(policy.ShouldRelease(T0.AddSeconds(20), activity: 60_100, busy: false, Base + 19 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(39), activity: 60_100, busy: false, Base + 19 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(40), activity: 60_100, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void Nothing_is_released_while_requests_or_reconciles_keep_coming()
    {
        var policy = AfterStartup();
        for (var i = 1; i <= 20; i++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(20 * i), activity: 100 + i, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void A_running_reconcile_is_not_quiet_even_when_no_new_one_started()
    {
        var policy = AfterStartup();
        Assert.False(policy.ShouldRelease(T0.AddSeconds(60), activity: 100, busy: true, Base + 19 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(80), activity: 100, busy: false, Base + 19 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(90), activity: 100, busy: false, Base + 19 * 1024));
    }

    [Fact]
    public void Growth_within_the_gen0_budget_of_an_idle_agent_is_left_alone()
    {
        var policy = AfterStartup();
        Assert.False(policy.ShouldRelease(T0.AddSeconds(300), activity: 100, busy: false, Base + QuietMemoryPolicy.Growth - 1));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(310), activity: 100, busy: false, Base + QuietMemoryPolicy.Growth));
    }

    [Fact]
    public void After_a_release_growth_counts_from_what_it_left_so_grown_live_data_is_not_released_again_and_again()
    {
        var policy = AfterStartup();
        Assert.True(policy.ShouldRelease(T0.AddSeconds(60), activity: 100, busy: false, Base + 80 * 1024));
        policy.Released(activity: 100, Base + 70 * 1024); // a larger folder: most of it is live
        Assert.False(policy.ShouldRelease(T0.AddSeconds(70), activity: 100, busy: false, Base + 70 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(80), activity: 100, busy: false, Base + 74 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(90), activity: 100, busy: false, Base + 76 * 1024));
    }

    [Fact]
    public void Nothing_is_released_before_the_first_release_set_a_baseline()
    {
        var policy = new QuietMemoryPolicy(Quiet);
        Assert.False(policy.ShouldRelease(T0, activity: 1, busy: false, 500 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddMinutes(5), activity: 1, busy: false, 500 * 1024));
    }

    [Fact]
    public void Code_pages_a_converge_touched_are_released_once_quiet_but_idle_refaults_are_not()
    {
        // A cold converge of 100 containers after the start-up release: anonymous +5 MiB, file-backed +28 MiB (bench idle 100).
        var policy = new QuietMemoryPolicy(Quiet);
        policy.Released(activity: 100, Base, fileKib: 12 * 1024);
        Assert.False(policy.ShouldRelease(T0, activity: 100, busy: false, Base, fileKib: 12 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(20), activity: 400, busy: false, Base + 5 * 1024, fileKib: 40 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(50), activity: 400, busy: false, Base + 5 * 1024, fileKib: 40 * 1024));
        // What idle life faults back after that release (about 10 MiB) never triggers another.
        policy.Released(activity: 400, Base + 5 * 1024, fileKib: 12 * 1024);
        for (var i = 1; i <= 20; i++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(50 + 30 * i), activity: 400, busy: false, Base + 5 * 1024, fileKib: (12 + 10) * 1024));
    }

    [Fact]
    public void Pages_that_probes_and_scrapes_fault_back_after_a_release_never_trigger_another_but_the_next_work_does()
    {
        // probe-41: a /livez every 10 s faulted back 16 MiB after each release, and the agent released after nearly every probe.
        var policy = new QuietMemoryPolicy(Quiet);
        policy.Released(activity: 400, Base, fileKib: 7 * 1024);
        for (var i = 1; i <= 30; i++)
            Assert.False(policy.ShouldRelease(T0.AddSeconds(10 * i), activity: 400, busy: false, Base + 1024, fileKib: (7 + 16 + i % 3) * 1024));
        // A resync (a reconcile started) touches its code; once quiet again, that goes back, and idle life's pages with it.
        Assert.False(policy.ShouldRelease(T0.AddSeconds(310), activity: 401, busy: false, Base + 1024, fileKib: 37 * 1024));
        Assert.False(policy.ShouldRelease(T0.AddSeconds(330), activity: 401, busy: false, Base + 1024, fileKib: 37 * 1024));
        Assert.True(policy.ShouldRelease(T0.AddSeconds(340), activity: 401, busy: false, Base + 1024, fileKib: 37 * 1024));
        policy.Released(activity: 401, Base, fileKib: 7 * 1024);
        Assert.False(policy.ShouldRelease(T0.AddSeconds(400), activity: 401, busy: false, Base, fileKib: 30 * 1024));
    }

    [Fact]
    public void Anonymous_growth_without_work_is_still_released()
    {
        var policy = AfterStartup();
        Assert.True(policy.ShouldRelease(T0.AddSeconds(60), activity: 100, busy: false, Base + QuietMemoryPolicy.Growth, fileKib: 0));
    }
}
