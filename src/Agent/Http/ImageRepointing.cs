using Agent.Engine;

namespace Agent.Http;

/// <summary>
/// The one rule for every way the API gives an image a name, tag, load and build (probe-15h M6): a name that already
/// names another image, or that the manifests or the agent's containers use although it names no image yet, is given
/// only with force=true, as what they run at their next start would change.
/// </summary>
public static class ImageRepointing
{
    /// <param name="image">The id the name would then point at when it is known before (a tag, a load: the digest of the
    /// archive's config); null for a build, whose image is not made yet: any image the name has is then another.</param>
    /// <param name="verb">What force=true does anyway ("tag", "load", "build").</param>
    public static async Task<IResult?> RefusedAsync(string name, string? image, bool force, string verb, IContainerEngine engine, ImageUsers users, CancellationToken ct)
    {
        if (force) return null;
        var existing = await engine.InspectImageAsync(name, ct);
        if (existing is not null && existing.Id == image) return null;
        // A name the manifests or the agent's containers use decides what they run, whether or not it exists yet
        // (a first deploy before its pull, a registry outage, a pruned image): only an admin chooses that.
        var usedBy = await users.FindAsync(name, existing, ct);
        if (existing is null && usedBy.Count == 0) return null;
        var what = existing is not null
            ? usedBy.Count > 0
                ? $"{name} already names another image, used by {string.Join(", ", usedBy)}: re-pointing it changes what they run at their next start"
                : $"{name} already names another image ({existing.Id}), which then keeps only its other names or none"
            : $"{name} names no image yet but is used by {string.Join(", ", usedBy)}: creating it chooses the image they run (the agent would start it instead of pulling)";
        return Results.Problem(statusCode: 409, title: "Conflict", detail: what + $". Send force=true to {verb} it anyway.",
            extensions: new Dictionary<string, object?> { ["usedBy"] = usedBy });
    }

    /// <summary>A name a build is making now (<see cref="ImageNameReservations"/>): a 409 whatever force says, as the
    /// build would re-point it again when it ends.</summary>
    public static IResult Busy(string refusal) =>
        Results.Problem(statusCode: 409, title: "Conflict", detail: refusal);
}
