using Agent.Core.Build;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Sources;

namespace Agent.Reconciliation;

/// <summary>
/// Runs a plan's BuildImage: builds a service's image from its context with the classic builder, unless the image of
/// that name already carries the build's hash (label agent.build-hash), so that only a changed context (or Dockerfile,
/// args, target, labels) is built again. A failed build leaves the running containers alone; its error names the
/// builder's message.
/// </summary>
public sealed class ImageBuilder(IContainerEngine engine, AgentLabels labels, SecurityPolicy policy, ManifestFolder folder, GitCheckouts checkouts,
    ILogger<ImageBuilder> logger)
{
    public async Task EnsureBuiltAsync(string image, BuildSpec build, CancellationToken ct)
    {
        var hash = BuildSpecs.Hash(build);
        if (await engine.InspectImageAsync(image, ct) is { } existing && existing.Labels.GetValueOrDefault(labels.BuildHash) == hash)
        {
            if (build.Push) await PushUnlessPushedAsync(image, ct); // a push that failed after its build is retried alone
            return;
        }

        // Judged again now: a link in the path may have changed since the manifests were read. A GitRepository's
        // manifests build from its checkout (confined to the checkout when its revision was read).
        if (build.Context is not null && FileConfinement.Problem(build.Context, folder, [.. policy.Options.AllowedFileRoots, checkouts.Root], rootItself: true) is { } outside)
            throw new OperationFailedException($"build context {build.Context} {outside}");
        Stream tar;
        try
        {
            tar = await BuildContext.TarAsync(build.Context, build.Dockerfile, build.DockerfileInline, ct, policy.Options.MaxBuildContextBytes);
        }
        catch (BuildContextTooLargeException e)
        {
            throw new OperationFailedException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperationFailedException($"build context {build.Context} cannot be read: {e.Message}");
        }

        // Judged again with what the FROM images bring (their environment and ONBUILD triggers), which only the engine knows.
        var dockerfile = build.DockerfileInline;
        if (dockerfile is null)
        {
            // What the builder receives is the context as the agent read it, so the Dockerfile judged is the one it runs.
            var context = await ContextArchive.RewriteAsync(tar, new MemoryStream(), build.Dockerfile, defaultName: false, policy.Options.MaxBuildContextBytes, ct);
            await tar.DisposeAsync();
            if (context.Problem is { } unreadable) throw new OperationFailedException($"build context {build.Context}: {unreadable}");
            (tar, dockerfile) = (context.Tar!, context.Dockerfile!);
        }
        if (await DockerfileAdmission.RefusedAsync(engine, dockerfile, build.DockerfileInline is null ? build.Dockerfile : "the inline Dockerfile", build.Args, policy.Options, ct) is { } refused)
        {
            await tar.DisposeAsync();
            throw new OperationFailedException(refused);
        }

        logger.LogInformation("Building {Image} from {Context} (build {Hash})", image, build.Context ?? "its inline Dockerfile alone", hash);
        var imageLabels = build.Labels.ToDictionary();
        imageLabels[labels.BuildHash] = hash;
        imageLabels[labels.BuiltBy] = labels.InstanceId;
        var output = new BuilderOutput(line => logger.LogDebug("Building {Image}: {Line}", image, line));
        await using (tar)
        {
            try
            {
                await engine.BuildImageAsync(tar, new ImageBuildRequest(image)
                {
                    Dockerfile = build.Dockerfile,
                    Args = build.Args,
                    Target = build.Target,
                    Labels = imageLabels,
                    CacheFrom = build.CacheFrom ?? [],
                }, output, ct);
            }
            catch (EngineException e) when (e is not EngineUnavailableException)
            {
                // The step that failed, as the Dockerfile's line (probe-63: "returned a non-zero code: 7 (after: Removing
                // intermediate container ...)", and "Step 2/5" counts the LABEL step the engine adds for the build's labels).
                if (output.Step is { } step && DockerfileLines.AtStep(dockerfile, step) is { } failed)
                    throw new OperationFailedException($"{(build.DockerfileInline is null ? build.Dockerfile : "the inline Dockerfile")} line {failed.Line} " +
                                                       $"({Shortened($"{failed.Keyword} {failed.Rest}")}): {e.Message}");
                throw new OperationFailedException($"{e.Message}{(output.Last is { } last && !e.Message.Contains(last, StringComparison.Ordinal) ? $" (after: {last})" : "")}");
            }
        }
        if (await BuiltImageLabels.RemoveIfClaimingOwnershipAsync(engine, labels, image, ct) is { } claimed) throw new OperationFailedException(claimed);
        logger.LogInformation("Built {Image}", image);
        if (build.Push) await PushUnlessPushedAsync(image, ct);
    }

    private static string Shortened(string instruction) => instruction.Length <= 80 ? instruction : instruction[..77] + "...";

    /// <summary>Removes the images this instance built that lost their tag to a rebuild and that no container uses any
    /// more (the engine's prune keeps an image any container, running or not, was made from). Never fails the caller.</summary>
    public async Task RemoveSupersededAsync(CancellationToken ct)
    {
        try
        {
            var removed = await engine.PruneImagesAsync(new ImagePruneFilter(false, [$"{labels.BuiltBy}={labels.InstanceId}"], null), ct);
            if (removed.Deleted > 0) logger.LogInformation("Removed {Count} image(s) a rebuild replaced", removed.Deleted);
        }
        catch (EngineException e) when (e is not EngineUnavailableException)
        {
            logger.LogWarning("Removing images a rebuild replaced failed: {Error}", e.Message);
        }
    }

    /// <summary>Pushes the image with the credentials of its registry, unless the engine already holds a digest of it in
    /// that repository (it was pushed since it was built).</summary>
    private async Task PushUnlessPushedAsync(string image, CancellationToken ct)
    {
        var repository = ImageReference.Split(image).Image;
        if (await engine.InspectImageDetailsAsync(image, ct) is { } details && details.Digests.Any(d => d.StartsWith(repository + "@", StringComparison.Ordinal))) return;
        logger.LogInformation("Pushing {Image}", image);
        try
        {
            var digest = await engine.PushImageAsync(image, null, ct);
            logger.LogInformation("Pushed {Image} ({Digest})", image, digest);
        }
        catch (EngineException e) when (e is not EngineUnavailableException)
        {
            throw new OperationFailedException($"{image} was built but not pushed: {e.Message}");
        }
    }
}

/// <summary>The builder's lines as they come (in order: reported on the caller's thread), keeping the last.</summary>
internal sealed partial class BuilderOutput(Action<string> each) : IProgress<string>
{
    public string? Last { get; private set; }

    /// <summary>The classic builder's latest "Step N/M : ..." line's N.</summary>
    public int? Step { get; private set; }

    public void Report(string value)
    {
        Last = value;
        if (StepLine().Match(value) is { Success: true } step) Step = int.Parse(step.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        each(value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Step (\d{1,6})/\d{1,6} : ")]
    private static partial System.Text.RegularExpressions.Regex StepLine();
}
