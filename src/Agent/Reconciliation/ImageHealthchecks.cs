using System.Collections.Concurrent;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// Whether an image defines a healthcheck, by the reference containers are created from, remembered for a short while:
/// the creates of a burst from one image ask the engine once. A reference re-pointed meanwhile is told apart by the
/// observed cache's confirmation of each start (<see cref="ObservedCache.ExpectStart"/>), within a second.
/// </summary>
public sealed class ImageHealthchecks(IContainerEngine engine)
{
    private static readonly TimeSpan Kept = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (bool Has, DateTime At)> known = new(StringComparer.Ordinal);

    /// <summary>An inspect of <paramref name="reference"/> made anyway (the image step's presence check).</summary>
    public void Saw(string reference, ImageSummary image)
    {
        if (known.Count >= 1_000) known.Clear();
        known[reference] = (image.HasHealthcheck, DateTime.UtcNow);
    }

    /// <summary>Null when that is not known: the image is not there, or the engine did not answer (then the observed
    /// cache inspects the container after its start, as for any other).</summary>
    public async Task<bool?> HasAsync(string reference, CancellationToken ct)
    {
        if (known.TryGetValue(reference, out var seen) && DateTime.UtcNow - seen.At < Kept) return seen.Has;
        ImageSummary? image;
        try
        {
            image = await engine.InspectImageAsync(reference, ct);
        }
        catch (EngineException)
        {
            return null;
        }
        if (image is null) return null;
        Saw(reference, image);
        return image.HasHealthcheck;
    }
}
