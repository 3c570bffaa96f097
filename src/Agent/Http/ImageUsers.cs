using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Sources;

namespace Agent.Http;

/// <summary>Which of the agent's objects a removal of an image reference affects: manifests and agent containers that
/// name the same tag, and, when the removal deletes the image itself (an id, or its last tag), every one whose
/// reference resolves to that image.</summary>
public sealed class ImageUsers(ManifestStore manifests, IContainerEngine engine, AgentLabels labels)
{
    /// <summary><paramref name="image"/> null: the reference names no image yet, and its users are those that name it
    /// (creating it chooses what they run).</summary>
    public async Task<IReadOnlyList<string>> FindAsync(string reference, ImageSummary? image, CancellationToken ct)
    {
        var removesImage = RemovesImage(reference, image);
        var name = Normalize(reference);
        var ids = new Dictionary<string, string?>(StringComparer.Ordinal);
        async Task<bool> Affected(string used)
        {
            if (Normalize(used) == name) return true;
            if (!removesImage) return false;
            if (!ids.TryGetValue(used, out var id)) ids[used] = id = (await InspectAsync(used, ct))?.Id;
            return id == image!.Id;
        }

        var users = new List<string>();
        foreach (var entry in manifests.All())
            foreach (var (owner, used) in Images(entry.Object))
                if (await Affected(used)) users.Add(owner);
        foreach (var container in await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct))
            if (labels.IsOwned(container.Labels) && await Affected(container.Image)) users.Add($"container {container.Name}");
        return users.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The manifests' users of the images a prune of every unused image would remove: images they name that
    /// exist, that none of the agent's containers runs, and that the prune's <paramref name="filter"/> admits (its
    /// label= and label!= filters). Named as "owner (image)".</summary>
    public async Task<IReadOnlyList<string>> OfPrunableImagesAsync(ImagePruneFilter filter, CancellationToken ct)
    {
        var found = new Dictionary<string, ImageSummary?>(StringComparer.Ordinal);
        async Task<ImageSummary?> Inspect(string reference) =>
            found.TryGetValue(reference, out var image) ? image : found[reference] = await InspectAsync(reference, ct);

        var inUse = new HashSet<string>(StringComparer.Ordinal);
        foreach (var container in await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct))
            if (labels.IsOwned(container.Labels) && await Inspect(container.Image) is { } image) inUse.Add(image.Id);
        var users = new List<string>();
        foreach (var entry in manifests.All())
            foreach (var (owner, used) in Images(entry.Object))
                if (await Inspect(used) is { } image && !inUse.Contains(image.Id) && filter.Admits(image.Labels))
                    users.Add($"{owner} ({used})");
        return users.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether removing <paramref name="reference"/> deletes <paramref name="image"/> itself (an id, or its last
    /// tag), rather than only untagging it.</summary>
    public static bool RemovesImage(string reference, ImageSummary? image) =>
        image is not null && (image.Tags.Count <= 1 || image.Id.EndsWith(reference.Replace("sha256:", "", StringComparison.Ordinal), StringComparison.Ordinal));

    /// <summary>Why any image could be one an object uses that the agent holds without its spec; null when all are known.</summary>
    public HeldImageUses? Held() => HeldImageUses.Of(manifests.SourceError, manifests.ReadVersion, manifests.All());

    /// <summary>The image a manifest's or a container's reference names. A reference the engine refuses (a manifest
    /// accepted before that check, `image: App:1`) names no image: it matches none, and fails no removal or prune.</summary>
    private async Task<ImageSummary?> InspectAsync(string reference, CancellationToken ct)
    {
        if (Identifiers.Image(reference) != IdentifierCheck.Valid || ImageReferenceSyntax.Problem(reference) is not null) return null;
        try
        {
            return await engine.InspectImageAsync(reference, ct);
        }
        catch (EngineException e) when (e.StatusCode == 400)
        {
            return null;
        }
    }

    /// <summary>"busybox" and "docker.io/library/busybox:latest" as one name.</summary>
    public static string Normalize(string reference)
    {
        var registry = ImageReference.Registry(reference);
        var path = registry == ImageReference.DockerHub && !reference.StartsWith("docker.io/", StringComparison.Ordinal) ? reference : reference[(reference.IndexOf('/') + 1)..];
        if (registry == ImageReference.DockerHub && !path.Contains('/')) path = "library/" + path;
        var (image, tag) = ImageReference.Split(path);
        return $"{registry}/{image}{(tag.StartsWith("sha256:", StringComparison.Ordinal) ? "@" : ":")}{tag}";
    }

    private static IEnumerable<(string Owner, string Image)> Images(Core.Manifests.IManifestObject? manifest) => manifest switch
    {
        ServiceGroup g => g.Spec.Services.Select(s => ($"{g.Key} (service {s.Name})", s.Container.Image)),
        CronJob c => [(c.Key.ToString(), c.Spec.JobTemplate.Container.Image)],
        Job j => [(j.Key.ToString(), j.Spec.Container.Image)],
        _ => [],
    };
}
