using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Http;

/// <summary>A container in GET /api/v1/containers: its object, service and published ports spelled out (the labels stay too).</summary>
public sealed record ContainerListItem(
    string Id, string Name, string? Kind, string? Group, string? Service, string Image, ContainerState State, HealthState Health,
    string Status, int? ExitCode, DateTimeOffset Created, IReadOnlyList<PublishedPort> Ports, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary><paramref name="withSpec"/> false: without the applied-spec label, which holds every environment value.</summary>
    public static ContainerListItem From(ContainerSummary c, AgentLabels labels, bool withSpec = true) => new(
        c.Id, c.Name, c.Labels.GetValueOrDefault(labels.Kind), c.Labels.GetValueOrDefault(labels.Object), c.Labels.GetValueOrDefault(labels.Service),
        c.Image, c.State, c.Health, c.Status, c.ExitCode, c.Created, c.Ports, withSpec ? c.Labels : WithoutSpec(c.Labels, labels));

    /// <summary>The labels without the applied-spec label (for the viewer role).</summary>
    public static IReadOnlyDictionary<string, string> WithoutSpec(IReadOnlyDictionary<string, string> all, AgentLabels labels) =>
        all.Where(l => l.Key != labels.Spec).ToDictionary();
}
