using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

public sealed class HeldServicesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");

    private static ObservedContainer C(string name, string service, int replica, ContainerState state = ContainerState.Running) =>
        new($"{name}-id-0123456789", name, service, replica, "h", state, HealthState.None) { Created = Now.AddHours(-1) };

    [Fact]
    public void Without_a_spec_each_service_counts_the_replicas_its_containers_hold_and_those_that_serve()
    {
        var services = HeldServices.From(
        [
            C("g-web-2", "web", 2, ContainerState.Exited), C("g-web-1", "web", 1), C("g-web-1-next", "web", 1, ContainerState.Created), C("g-db-1", "db", 1),
        ], Now);
        Assert.Equal(["db 1/1: g-db-1", "web 1/2: g-web-1, g-web-1-next, g-web-2"],
            services.Select(s => $"{s.Name} {s.ReadyReplicas}/{s.DesiredReplicas}: {string.Join(", ", s.Containers.Select(c => c.Name))}"));
    }
}
