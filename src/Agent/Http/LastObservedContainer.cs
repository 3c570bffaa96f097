using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Http;

/// <summary>GET /containers/{id} while the engine is known unreachable: the container as last observed (the list's
/// fields, which the inspect answer shares by name), marked <see cref="LastObserved"/>, instead of the engine's inspect.</summary>
public sealed record LastObservedContainer(
    string Id, string Name, string? Kind, string? Group, string? Service, string Image, ContainerState State, HealthState Health,
    string Status, int? ExitCode, DateTimeOffset Created, IReadOnlyList<PublishedPort> Ports, IReadOnlyDictionary<string, string> Labels,
    bool LastObserved, DateTimeOffset EngineUnreachableSince)
{
    public static LastObservedContainer From(ContainerSummary c, DateTimeOffset since, AgentLabels labels, bool withSpec)
    {
        var item = ContainerListItem.From(c, labels, withSpec);
        return new(item.Id, item.Name, item.Kind, item.Group, item.Service, item.Image, item.State, item.Health, item.Status,
            item.ExitCode, item.Created, item.Ports, item.Labels, true, since);
    }
}
