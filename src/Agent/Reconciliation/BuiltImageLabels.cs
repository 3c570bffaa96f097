using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// What a build made must not claim to be the agent's: an image whose labels carry the agent's own keys (from a LABEL in
/// its Dockerfile, its base image or the requested labels) would hand them to every container made from it, which the
/// agent would then list, operate on and prune as its own. Such an image is removed right after its build.
/// </summary>
public static class BuiltImageLabels
{
    /// <summary>Null when the built image is clean; otherwise removes it and says why.</summary>
    public static Task<string?> RemoveIfClaimingOwnershipAsync(IContainerEngine engine, AgentLabels labels, string image, CancellationToken ct) =>
        RemoveIfClaimingOwnershipAsync(engine, labels, image, "was built", "(a LABEL in its Dockerfile, its base image or the build's labels)", $"Build it without labels starting with {labels.Prefix}.", ct);

    /// <summary>The same for an image just pulled (by the API's pull or run, or for a manifest): the image is known only
    /// once pulled (a registry serves no labels before).</summary>
    public static Task<string?> RemoveIfPulledClaimingOwnershipAsync(IContainerEngine engine, AgentLabels labels, string image, CancellationToken ct) =>
        RemoveIfClaimingOwnershipAsync(engine, labels, image, "was pulled", "(set by whoever pushed it)", $"Pull only images without labels starting with {labels.Prefix}.", ct);

    /// <summary>The same for an image that came in another way (<paramref name="how"/>: "was pulled").</summary>
    public static async Task<string?> RemoveIfClaimingOwnershipAsync(IContainerEngine engine, AgentLabels labels, string image, string how, string where, string fix, CancellationToken ct)
    {
        if (await engine.InspectImageAsync(image, ct) is not { } built || labels.ReservedOnImages(built.Labels) is not { Count: > 0 } reserved) return null;
        await engine.RemoveImageAsync(image, force: true, ct);
        return $"{image} {how} with the agent's own labels {string.Join(", ", reserved)} {where}. "
               + "A container inherits its image's labels, so every container made from it would look like one of the agent's; the image was removed. "
               + fix;
    }
}
