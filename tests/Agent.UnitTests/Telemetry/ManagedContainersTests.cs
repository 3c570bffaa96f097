using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Engine;
using Agent.Telemetry;

namespace Agent.UnitTests.Telemetry;

/// <summary>agent_managed_containers counts job containers too, by kind (probe-15j L1: only group and project replicas were).</summary>
public sealed class ManagedContainersTests
{
    private static readonly AgentLabels Labels = new("t0123456789");

    private static ContainerSummary Container(ContainerState state, string kind, bool jobRun = true, string instance = "t0123456789")
    {
        var labels = new Dictionary<string, string> { [Labels.Managed] = "true", [Labels.Instance] = instance, [Labels.Kind] = kind, [Labels.Object] = "x" };
        if (jobRun) labels[Labels.JobRun] = "x-1";
        return new ContainerSummary(Guid.NewGuid().ToString("N"), "c", "busybox", state, HealthState.None, "", null, DateTimeOffset.UnixEpoch, labels);
    }

    [Fact]
    public void Replicas_come_from_the_status_and_job_containers_from_the_cache_each_with_its_kind()
    {
        var group = new ObjectStatus
        {
            Kind = ServiceGroup.KindName, Name = "web",
            Services = [new ServiceStatus("s", 2, 1, [new ContainerStatus("web-s-1", "a", "running", "none", "h"), new ContainerStatus("web-s-2", "b", "exited", "none", "h")])],
        };
        var job = new ObjectStatus { Kind = Job.KindName, Name = "migrate" }; // a Job's status has no containers: they come from the cache
        IReadOnlyList<ContainerSummary> cached =
        [
            Container(ContainerState.Running, Job.KindName), Container(ContainerState.Exited, CronJob.KindName), Container(ContainerState.Exited, CronJob.KindName),
            Container(ContainerState.Running, Job.ImperativeKind),
            Container(ContainerState.Running, ServiceGroup.KindName, jobRun: false), // a replica: counted from the status, not twice
            Container(ContainerState.Running, Job.KindName, instance: "tother00000"), // another agent's
        ];

        var counts = AgentGauges.ManagedContainers([group, job], cached, Labels).ToList();

        Assert.Equal(
        [
            (Job.ImperativeKind, "running", 1), (CronJob.KindName, "exited", 2), (Job.KindName, "running", 1),
            (ServiceGroup.KindName, "exited", 1), (ServiceGroup.KindName, "running", 1),
        ], counts);
    }
}
