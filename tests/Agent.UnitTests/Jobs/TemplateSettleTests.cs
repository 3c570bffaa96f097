using Agent.Core.Jobs;

namespace Agent.UnitTests.Jobs;

/// <summary>Agent:JobSettle: a run starts only from a template that has stayed the same for the settle time; at the first
/// look only the template the history last ran is settled already.</summary>
public sealed class TemplateSettleTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 15, 48, 58, TimeSpan.Zero);

    [Fact]
    public void The_template_the_history_last_ran_is_settled_at_the_first_look()
    {
        var seen = TemplateSettle.Look(null, "a", lastRan: true, T0, Settle);
        Assert.Null(seen.Until(T0, Settle));
    }

    // probe-15m: a new CronJob written in two pieces ran its torn template at its first due time (every first look was exempt).
    [Fact]
    public void A_new_template_at_the_first_look_waits_and_a_change_starts_the_wait_again()
    {
        var torn = TemplateSettle.Look(null, "torn", lastRan: false, T0, Settle);
        Assert.Equal(T0 + Settle, torn.Until(T0.AddSeconds(2), Settle));

        var whole = TemplateSettle.Look(torn, "whole", lastRan: false, T0.AddSeconds(2.5), Settle);
        Assert.Equal(T0.AddSeconds(7.5), whole.Until(T0.AddSeconds(5), Settle)); // the torn one's wait does not count

        Assert.Same(whole, TemplateSettle.Look(whole, "whole", lastRan: false, T0.AddSeconds(6), Settle));
        Assert.Null(whole.Until(T0.AddSeconds(7.5), Settle));
    }

    [Fact]
    public void The_last_run_template_coming_back_after_a_change_waits_too()
    {
        var edited = TemplateSettle.Look(TemplateSettle.Look(null, "a", lastRan: true, T0, Settle), "b", lastRan: false, T0.AddSeconds(1), Settle);
        var back = TemplateSettle.Look(edited, "a", lastRan: true, T0.AddSeconds(2), Settle);
        Assert.Equal(T0.AddSeconds(7), back.Until(T0.AddSeconds(2), Settle));
    }
}
