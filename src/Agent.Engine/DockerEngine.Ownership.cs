using System.Collections.Concurrent;
using Agent.Core.Model;
using Docker.DotNet;

namespace Agent.Engine;

/// <summary>Every container's labels leave the adapter with inherited ownership labels taken off
/// (<see cref="InheritedOwnership"/>): this is the one place that keeps a container made by hand from an image carrying
/// agent labels from looking like the agent's. An image's labels never change for its id, so each image is inspected once.</summary>
public sealed partial class DockerEngine
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> imageLabelsById = new(StringComparer.Ordinal);
    private AgentLabels ownershipKeys = new("", AgentLabels.DefaultPrefix);

    /// <summary>The label prefix of the agent's labels (Agent:LabelPrefix).</summary>
    public string LabelPrefix
    {
        get => ownershipKeys.Prefix;
        init => ownershipKeys = new AgentLabels("", value);
    }

    /// <summary>Image inspects made to tell inherited labels (one per distinct image id).</summary>
    public int ImageLabelLookups => imageLabelLookups;

    private int imageLabelLookups;

    private async Task<IReadOnlyDictionary<string, string>> OwnLabelsAsync(IReadOnlyDictionary<string, string> labels, string? imageId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(imageId) || !InheritedOwnership.Claims(ownershipKeys, labels)) return labels;
        return InheritedOwnership.Resolve(ownershipKeys, labels, await ImageLabelsAsync(imageId, ct));
    }

    private async Task<IReadOnlyList<ContainerSummary>> OwnLabelsAsync(IEnumerable<Docker.DotNet.Models.ContainerListResponse> list, CancellationToken ct)
    {
        var result = new List<ContainerSummary>();
        foreach (var c in list)
        {
            var summary = EngineMapping.ToSummary(c);
            result.Add(summary with { Labels = await OwnLabelsAsync(summary.Labels, c.ImageID, ct) });
        }
        return result;
    }

    private async Task<IReadOnlyDictionary<string, string>> ImageLabelsAsync(string imageId, CancellationToken ct)
    {
        if (imageLabelsById.TryGetValue(imageId, out var known)) return known;
        var labels = await Call("image_inspect", async () =>
        {
            Interlocked.Increment(ref imageLabelLookups);
            try
            {
                return EngineMapping.Labels((await client.Images.InspectImageAsync(imageId, ct)).Config?.Labels);
            }
            catch (Exception e) when (e is DockerImageNotFoundException or DockerApiException { StatusCode: System.Net.HttpStatusCode.NotFound })
            {
                return null; // removed since (the container keeps its layers): nothing to inherit from what cannot be read
            }
        }, imageId);
        if (labels is null) return EngineMapping.Labels(null);
        if (imageLabelsById.Count > 10_000) imageLabelsById.Clear();
        return imageLabelsById[imageId] = labels;
    }
}
