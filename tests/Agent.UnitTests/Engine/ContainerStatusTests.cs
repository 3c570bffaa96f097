using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Xunit;

namespace Agent.UnitTests.Engine;

/// <summary>A container's list entry changes only when the container does: the engine's status text carries a relative
/// age ("Up 3 seconds"), and an inspect gives times to the nanosecond where the list gives seconds, so the GET
/// /containers body (and its ETag) would change at every listing without either being left out.</summary>
public sealed class ContainerStatusTests
{
    [Theory]
    [InlineData("running", "Up 3 seconds (healthy)", "Up About a minute (healthy)", "Up")]
    [InlineData("paused", "Up 4 seconds (Paused)", "Up 2 hours (Paused)", "Up (Paused)")]
    [InlineData("exited", "Exited (137) 2 seconds ago", "Exited (137) 3 days ago", "Exited (137)")]
    [InlineData("restarting", "Restarting (1) 1 second ago", "Restarting (1) 5 seconds ago", "Restarting")]
    public void Two_listings_of_an_unchanged_container_give_one_status(string state, string first, string later, string status) =>
        Assert.Equal((status, status), (EngineMapping.ListedStatus(state, first), EngineMapping.ListedStatus(state, later)));

    [Fact]
    public void An_inspect_gives_the_status_and_created_time_a_listing_gives()
    {
        var created = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var inspected = ContainerEvents.FromDetails(new ContainerDetails("abc123", "web-1", "busybox:1.35", "sha256:1", ContainerState.Exited,
            HealthState.None, 3, false, 0, created.AddTicks(1_234_567), null, null, null, new Dictionary<string, string>(), [], [],
            new Dictionary<string, string>(), []));
        Assert.Equal((EngineMapping.ListedStatus("exited", "Exited (3) 5 minutes ago"), (int?)3, created), (inspected.Status, inspected.ExitCode, inspected.Created));
    }
}
