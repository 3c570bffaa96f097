using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Telemetry;

namespace Agent.UnitTests.Telemetry;

/// <summary>probe-65: /metrics could not say which object is not Ready. agent_object_condition has one series per
/// condition of each manifest object, with its status, as kube-state-metrics' *_status_condition.</summary>
public sealed class ObjectConditionSeriesTests
{
    private static Condition C(string type, string status, string reason = "R") => new(type, status, reason, "", DateTimeOffset.UnixEpoch);

    [Fact]
    public void Each_condition_of_each_manifest_object_is_a_series_with_its_status_and_api_jobs_are_left_out()
    {
        ObjectStatus[] objects =
        [
            new() { Kind = ServiceGroup.ComposeKindName, Name = "shop", Conditions = [C("Ready", "False"), C("Degraded", "True")] },
            new() { Kind = CronJob.KindName, Name = "nightly", Conditions = [C("Ready", "Unknown")] },
            new() { Kind = Job.ImperativeKind, Name = "job-5f3a9c", Conditions = [C("Ready", "True")] },
        ];
        Assert.Equal(
            [("ComposeProject", "shop", "Ready", "false"), ("ComposeProject", "shop", "Degraded", "true"), ("CronJob", "nightly", "Ready", "unknown")],
            AgentGauges.ObjectConditions(objects).ToList());
    }
}
