using Agent.Core.Manifests;
using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>This host's labels (Agent:HostLabels) against each manifest's spec.placement.hostSelector.</summary>
public sealed class HostPlacement(IOptions<AgentOptions> options)
{
    public IReadOnlyDictionary<string, string> Labels { get; } =
        new SortedDictionary<string, string>(options.Value.HostLabels, StringComparer.Ordinal);

    /// <summary>Null when the document is for this host; otherwise why not.</summary>
    public string? Decide(ManifestDocument document) => Placement.Decide(document.HostSelector, Labels);
}
