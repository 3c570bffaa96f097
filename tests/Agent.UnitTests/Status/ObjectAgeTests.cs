using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Status;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Status;

/// <summary>AGE is when the agent first saw the object (or its oldest container, after a restart): kubectl's creation
/// age, not the Ready condition's last transition.</summary>
public sealed class ObjectAgeTests
{
    private static readonly ObjectKey Web = new(ServiceGroup.KindName, "web");

    [Fact]
    public void Status_changes_and_manifest_errors_never_move_the_age()
    {
        var first = DateTimeOffset.Parse("2026-12-01T10:00:00Z");
        var clock = new FakeTimeProvider(first);
        var store = new StatusStore(clock);
        store.SetCondition(Web, ConditionTypes.Ready, true, "UpToDate", "");

        clock.Advance(TimeSpan.FromMinutes(14));
        store.SetCondition(Web, ConditionTypes.Ready, false, "StoppedByUser", "stopped");
        store.Update(Web, s => s with { ManifestErrors = ["web.yaml:1:1: duplicate"] });
        store.Record(Web, "Warning", "InvalidManifest", "duplicate");

        Assert.Equal(first, store.Get(Web)!.Since);
        Assert.Equal(first.AddMinutes(14), store.Get(Web)!.Condition(ConditionTypes.Ready)!.LastTransitionTime);
    }

    [Fact]
    public void After_an_agent_restart_the_age_reaches_back_to_the_oldest_container()
    {
        var restart = DateTimeOffset.Parse("2026-12-01T12:00:00Z");
        DateTimeOffset? oldest = restart.AddHours(-3);
        Assert.Equal(oldest, StatusStore.Earliest(restart, [restart.AddMinutes(-5), oldest, null]));
        Assert.Equal(restart, StatusStore.Earliest(restart, []));
        Assert.Equal(restart, StatusStore.Earliest(restart, [restart.AddMinutes(1)]));
    }
}
