using Agent.Core.Model;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-15m: an API stop goes with its deleted object, in the state dir too.</summary>
public sealed class RuntimeOverridesTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-overrides-");
    private static readonly ObjectKey Group = new(ServiceGroup.KindName, "web"), Project = new(ServiceGroup.ComposeKindName, "shop"), Cron = new(CronJob.KindName, "nightly");

    public void Dispose() => dir.Delete(recursive: true);

    private RuntimeOverrides Load() => new(dir.FullName, NullLogger<RuntimeOverrides>.Instance);

    [Fact]
    public void Keys_lists_every_stopped_object_once_also_one_down_with_its_volumes()
    {
        var overrides = Load();
        overrides.SetSuspended(Group, true);
        overrides.SetSuspended(Project, true, removeVolumes: true);
        overrides.SetSuspended(Cron, true);
        Assert.Equal([Project, Cron, Group], overrides.Keys.OrderBy(k => k.ToString(), StringComparer.Ordinal));
    }

    [Fact]
    public void Forgetting_a_deleted_object_clears_its_stop_for_the_next_agent_and_leaves_the_others()
    {
        var overrides = Load();
        overrides.SetSuspended(Group, true);
        overrides.SetSuspended(Project, true, removeVolumes: true);
        Assert.True(overrides.Forget(Project));
        Assert.False(overrides.Forget(Project));
        Assert.False(overrides.Forget(Cron));
        var next = Load();
        Assert.False(next.IsSuspended(Project));
        Assert.False(next.RemovesVolumes(Project));
        Assert.True(next.IsSuspended(Group));
    }

    [Fact]
    public void A_compose_stop_is_suspended_but_not_down_survives_a_reload_and_a_down_or_start_replaces_it()
    {
        var overrides = Load();
        overrides.SetSuspended(Project, true, stopOnly: true);
        var next = Load();
        Assert.True(next.IsSuspended(Project));
        Assert.True(next.IsStoppedOnly(Project));
        Assert.False(next.IsDown(Project));
        Assert.Equal([Project], next.Keys);
        Assert.Equal("[\"ComposeProject/shop?stopped=true\"]", File.ReadAllText(Path.Combine(dir.FullName, RuntimeOverrides.FileName)).Trim().Replace("\n", "").Replace(" ", ""));

        next.SetSuspended(Project, true);
        Assert.True(next.IsDown(Project));
        Assert.False(next.IsStoppedOnly(Project));
        next.SetSuspended(Project, false);
        Assert.False(Load().IsSuspended(Project));
    }

    [Fact]
    public void A_stopped_ServiceGroup_is_never_down()
    {
        var overrides = Load();
        overrides.SetSuspended(Group, true);
        Assert.True(overrides.IsSuspended(Group));
        Assert.False(overrides.IsDown(Group));
        Assert.False(overrides.IsStoppedOnly(Group));
    }
}
