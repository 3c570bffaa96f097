using System.Net;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Agent.Engine;

/// <summary>Image and registry calls: inspect, history, tag, push, save, load, search, prune, login. Pulls and pushes
/// carry the configured credentials of the reference's registry; no credential appears in a message.</summary>
public sealed partial class DockerEngine
{
    public Task<ImageDetails?> InspectImageDetailsAsync(string reference, CancellationToken ct) => Call("image_inspect", async () =>
    {
        try
        {
            var i = await client.Images.InspectImageAsync(reference, ct);
            var config = i.Config;
            return new ImageDetails(i.ID, i.RepoTags?.ToList() ?? [], i.RepoDigests?.ToList() ?? [],
                i.Created is { } created ? new DateTimeOffset(created) : DateTimeOffset.MinValue, i.Size, i.Os ?? "", i.Architecture ?? "",
                NullIfEmpty(i.Author), config?.Cmd?.ToList(), config?.Entrypoint?.ToList(), config?.Env?.ToList() ?? [],
                NullIfEmpty(config?.WorkingDir), NullIfEmpty(config?.User), config?.ExposedPorts?.Keys.Order(StringComparer.Ordinal).ToList() ?? [],
                EngineMapping.Labels(config?.Labels), i.RootFS?.Layers?.ToList() ?? [],
                config?.OnBuild is { Count: > 0 } onBuild ? onBuild.ToList() : null);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return (ImageDetails?)null;
        }
    }, reference);

    public Task<IReadOnlyList<ImageHistoryEntry>> GetImageHistoryAsync(string reference, CancellationToken ct) =>
        Call<IReadOnlyList<ImageHistoryEntry>>("image_history", async () =>
            (await client.Images.GetImageHistoryAsync(reference, ct))
                .Select(h => new ImageHistoryEntry(h.ID, new DateTimeOffset(h.Created), h.CreatedBy ?? "", h.Size, h.Tags?.ToList() ?? [], NullIfEmpty(h.Comment)))
                .ToList(), reference);

    public Task TagImageAsync(string reference, string target, CancellationToken ct) => Call("image_tag", () =>
    {
        var (repository, tag) = ImageReference.Split(target);
        return client.Images.TagImageAsync(reference, new ImageTagParameters { RepositoryName = repository, Tag = tag }, ct);
    }, reference);

    /// <summary>Pushes a tagged image to its registry; returns the pushed manifest's digest when the engine reports one.</summary>
    public Task<string?> PushImageAsync(string reference, IProgress<ImageProgress>? progress, CancellationToken ct) => Call("image_push", async () =>
    {
        var (image, tag) = ImageReference.Split(reference);
        string? error = null;
        string? digest = null;
        await client.Images.PushImageAsync(image, new ImagePushParameters { Tag = tag }, AuthFor(reference) ?? new AuthConfig(),
            new SynchronousProgress<JSONMessage>(m =>
            {
                if (m.Error is { } e) error = e.Message;
                else if (!string.IsNullOrEmpty(m.Status))
                {
                    if (PushedDigest().Match(m.Status) is { Success: true } match) digest = match.Groups[1].Value;
                    progress?.Report(LayerProgress(m));
                }
            }), ct);
        if (error is not null) throw RegistryFailure($"Pushing {reference} failed", error, hint: CredentialHint(reference));
        return digest;
    }, reference);

    /// <summary>The image as the tar `docker save` writes; the caller reads it to the end and disposes it.</summary>
    public Task<Stream> SaveImageAsync(string reference, CancellationToken ct) =>
        Call("image_save", () => client.Images.SaveImageAsync(reference, ct), reference);

    /// <summary>Loads a `docker save` tar; returns what the engine reports it loaded ("Loaded image: x:1").</summary>
    public Task<IReadOnlyList<string>> LoadImagesAsync(Stream tar, CancellationToken ct) => Call<IReadOnlyList<string>>("image_load", async () =>
    {
        var loaded = new List<string>();
        string? error = null;
        await client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, tar, new SynchronousProgress<JSONMessage>(m =>
        {
            if (m.Error is { } e) error = e.Message;
            else if (!string.IsNullOrWhiteSpace(m.Stream)) loaded.Add(m.Stream.Trim());
        }), ct);
        if (error is not null) throw new EngineException($"Loading images failed: {error}", 400);
        return loaded;
    });

    public Task<IReadOnlyList<ImageSearchResult>> SearchImagesAsync(string term, int? limit, CancellationToken ct) =>
        Call<IReadOnlyList<ImageSearchResult>>("image_search", async () =>
        {
            try
            {
                return (await client.Images.SearchImagesAsync(new ImagesSearchParameters { Term = term, Limit = limit is { } l ? (long)l : null }, ct))
                    .Select(r => new ImageSearchResult(r.Name, NullIfEmpty(r.Description), r.StarCount, r.IsOfficial))
                    .ToList();
            }
            catch (DockerApiException e) when (e.StatusCode != HttpStatusCode.BadRequest)
            {
                throw RegistryFailure($"Searching for \"{term}\" failed", EngineMapping.ErrorMessage(e.ResponseBody), e);
            }
        }, term);

    public Task<ImagePruneResult> PruneImagesAsync(ImagePruneFilter filter, CancellationToken ct) => filter.All ? PruneUnusedImagesAsync(filter, ct) : Call("image_prune", async () =>
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["dangling"] = new Dictionary<string, bool> { [filter.All ? "false" : "true"] = true },
        };
        if (filter.Labels.Count > 0) filters["label"] = filter.Labels.ToDictionary(l => l, _ => true);
        if (filter.ExcludedLabels.Count > 0) filters["label!"] = filter.ExcludedLabels.ToDictionary(l => l, _ => true);
        if (filter.Until is { } until) filters["until"] = new Dictionary<string, bool> { [until] = true };
        var result = await WhileAnotherPruneRuns(() => client.Images.PruneImagesAsync(new ImagesPruneParameters { Filters = filters }, ct), ct);
        return new ImagePruneResult(result.ImagesDeleted?.Count ?? 0, result.SpaceReclaimed);
    });

    /// <summary>docker image prune -a removes "images without at least one container associated to them", but the
    /// engine's own prune (dangling=false, Engine 20.10) removes every tag but the last of an image a container runs when
    /// the image has several (probe-42 F1: busybox:1.35 and busybox:latest untagged under 196 running replicas; an
    /// offline host cannot pull them back). So the agent lists and removes: every image that no container on the engine
    /// (any, running or not) was made from, with the filter's labels, created before its until; each tag, then the
    /// image (never forced). One the engine refuses (a container made meanwhile, a child image) is skipped, as the
    /// engine's prune skips it. Space is the removed images' sizes.</summary>
    private Task<ImagePruneResult> PruneUnusedImagesAsync(ImagePruneFilter filter, CancellationToken ct) => Call("image_prune", async () =>
    {
        var before = filter.Until is { } until ? PruneUntil.Cutoff(until, DateTimeOffset.UtcNow) : null;
        var filters = new Dictionary<string, IDictionary<string, bool>>();
        if (filter.Labels.Count > 0) filters["label"] = filter.Labels.ToDictionary(l => l, _ => true);
        var images = await client.Images.ListImagesAsync(new ImagesListParameters { Filters = filters }, ct);
        var used = (await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct))
            .Select(c => c.ImageID).ToHashSet(StringComparer.Ordinal);
        var deleted = 0;
        ulong space = 0;
        foreach (var image in images.Where(i => !used.Contains(i.ID) && filter.Admits(i.Labels?.AsReadOnly()) && (before is null || new DateTimeOffset(i.Created) < before)))
        {
            var tags = (image.RepoTags ?? []).Where(t => t != "<none>:<none>").ToList();
            try
            {
                var gone = false;
                foreach (var reference in tags.Count == 0 ? [image.ID] : tags)
                {
                    var answer = await client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = false }, ct);
                    deleted += answer.Count;
                    gone |= answer.Any(a => a.TryGetValue("Deleted", out var id) && id == image.ID);
                }
                if (gone) space += (ulong)Math.Max(0, image.Size);
            }
            catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // in use by now, a parent of another image, or removed by someone else meanwhile
            }
        }
        return new ImagePruneResult(deleted, space);
    });

    // The engine runs one prune of a kind at a time and answers 409 to another (from `docker image prune` or a second
    // request): wait for it, as the CLI's user would, rather than failing the caller.
    private static async Task<T> WhileAnotherPruneRuns<T>(Func<Task<T>> prune, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks)))
        {
            try
            {
                return await prune();
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict && DateTime.UtcNow < deadline
                                               && e.ResponseBody?.Contains("prune operation is already running", StringComparison.OrdinalIgnoreCase) == true)
            {
                await Task.Delay(delay, ct);
            }
        }
    }

    /// <summary>Checks a credential against its registry, as `docker login` does; nothing is stored by the engine.</summary>
    public Task CheckRegistryLoginAsync(RegistryCredential credential, CancellationToken ct) => Call("registry_login", async () =>
    {
        try
        {
            await client.System.AuthenticateAsync(ToAuthConfig(credential), ct);
        }
        catch (DockerApiException e) when (e.StatusCode != HttpStatusCode.Unauthorized)
        {
            throw RegistryFailure($"Logging in to {credential.Server} failed", EngineMapping.ErrorMessage(e.ResponseBody), e);
        }
        catch (DockerApiException e)
        {
            throw new RegistryAuthException($"{credential.Server} refused the login of {credential.Username}: {EngineMapping.ErrorMessage(e.ResponseBody)}", e);
        }
    }, credential.Server);

    /// <summary>For a refused pull or push: the files to check, or that no credential is configured for the image's registry
    /// (probe-63: localhost:5000 when only 127.0.0.1:5000 is configured said "check the files ... for this server").</summary>
    private string CredentialHint(string reference)
    {
        var registry = ImageReference.NormalizeServer(ImageReference.Registry(reference));
        var configured = credentials?.Servers ?? [];
        return configured.Contains(registry, StringComparer.Ordinal)
            ? $"Check the files of Agent:Registries for {registry}."
            : $"No credential is configured for {registry} (Agent:Registries has {(configured.Count == 0 ? "none" : string.Join(", ", configured))}): add one for it, or name the image by a configured server.";
    }

    private AuthConfig? AuthFor(string reference) =>
        credentials?.For(ImageReference.Registry(reference)) is { } credential ? ToAuthConfig(credential) : null;

    private static AuthConfig ToAuthConfig(RegistryCredential credential) => new()
    {
        Username = credential.Username,
        Password = credential.Password,
        ServerAddress = credential.Server == ImageReference.DockerHub ? "https://index.docker.io/v1/" : credential.Server,
    };

    /// <summary>A registry's answer relayed by the engine, told apart: refused credentials, an unreachable registry, or other.</summary>
    private static EngineException RegistryFailure(string what, string message, Exception? inner = null, string? hint = null)
    {
        var text = $"{what}: {message}";
        if (AuthWords().IsMatch(message)) return new RegistryAuthException(text, inner) { Hint = hint ?? RegistryAuthException.CheckFiles };
        if (UnreachableWords().IsMatch(message)) return new RegistryUnreachableException(text, inner);
        return new EngineException(text, null, inner);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static ImageProgress LayerProgress(JSONMessage m) =>
        new(NullIfEmpty(m.ID), m.Status ?? "", m.Progress is { Total: > 0 } p ? $"{p.Current}/{p.Total}" : null);

    [GeneratedRegex(@"^\s*---> Running in ([0-9a-f]{12,64})\s*$")]
    private static partial Regex BuildStepContainer();

    [GeneratedRegex(@"digest: (sha256:[0-9a-f]{64})")]
    private static partial Regex PushedDigest();

    [GeneratedRegex("unauthorized|authentication required|no basic auth credentials|access denied|denied: requested access", RegexOptions.IgnoreCase)]
    private static partial Regex AuthWords();

    [GeneratedRegex("dial tcp|no such host|connection refused|i/o timeout|server gave HTTP response|tls:|x509:|EOF", RegexOptions.IgnoreCase)]
    private static partial Regex UnreachableWords();
}
