namespace Agent.Core.Jobs;

/// <summary>
/// Since when a manifest Job's or CronJob's template has stayed as it is (Agent:JobSettle). A run cannot be taken back,
/// so a run starts only from a template that has stayed the same for the settle time: a file caught half-written (a slow
/// copy, an editor's save, an env file truncated before it is written again) is a template that lasts a moment and never
/// runs. The one template not waited for is the one the history last ran, seen at the runner's first look (the agent
/// starts: it was not seen changing). A new CronJob's first look is no such case: its file may be half-written (probe-15m).
/// </summary>
public sealed record TemplateSettle(string Template, DateTimeOffset Since)
{
    /// <summary>The state after a look at template <paramref name="hash"/> now: <paramref name="seen"/> (null at the first
    /// look) when the template is the same, else seen since now; settled already when it is the one the history last ran
    /// (<paramref name="lastRan"/>) at the first look.</summary>
    public static TemplateSettle Look(TemplateSettle? seen, string hash, bool lastRan, DateTimeOffset now, TimeSpan settle) =>
        seen?.Template == hash ? seen
        : seen is null && lastRan ? new TemplateSettle(hash, now - settle)
        : new TemplateSettle(hash, now);

    /// <summary>When the template will have stayed the same for <paramref name="settle"/>; null when it has.</summary>
    public DateTimeOffset? Until(DateTimeOffset now, TimeSpan settle) => now >= Since + settle ? null : Since + settle;
}
