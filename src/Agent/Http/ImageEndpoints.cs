using Agent.Core.Model;
using Agent.Reconciliation;
using System.Text.Json;
using Agent.Auth;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Agent.Http;

/// <summary>Images on the engine (all of them, not only the agent's: images carry no owner). {ref} may contain '/' and
/// ':' (see <see cref="ImageReferencePaths"/>).</summary>
public static partial class ImageEndpoints
{
    /// <summary>The JSON bodies of a pull and a tag (the query's image= and target= may be given instead).</summary>
    public sealed record PullBody(string Image);

    public sealed record TagBody(string Target);

    public static RouteGroupBuilder MapImageEndpoints(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("/images");
        images.MapGet("/", async (IContainerEngine engine, CancellationToken ct) => JsonAnswer.Ok(await engine.ListImagesAsync(ct)))
            .WithSummary("List images (docker image ls).");
        images.MapPost("/pull", Pull).RequireAuthorization(Roles.Admin).Accepts<PullBody>("application/json")
            .WithSummary("Pull an image (docker pull): ?image=NAME[:TAG] or {\"image\": ...}; the configured credentials of its registry are used; progress is streamed as NDJSON like push, the last line is {\"pulled\", \"id\"} or {\"error\"}.");
        images.MapGet("/search", Search).RequireAuthorization(Roles.Admin)
            .WithSummary("Search the engine's image index (docker search TERM); 502 when the engine reaches no index. Admin: a registry named in the term makes the engine connect to that host.");
        images.MapGet("/{ref}", Inspect).WithSummary("Inspect an image (docker image inspect REF); the reference may contain '/' and ':'. For the viewer role, environment values are redacted unless Agent:Auth:ViewerSeesEnv is true.");
        images.MapGet("/{ref}/json", Inspect).WithSummary("Inspect an image, for references whose last segment is an action word (history, save, tag, push).");
        images.MapGet("/{ref}/history", History).WithSummary("The image's layers and the instructions that made them (docker image history REF).");
        images.MapPost("/{ref}/tag", Tag).RequireAuthorization(Roles.Admin).Accepts<TagBody>("application/json")
            .WithSummary("Tag an image (docker tag REF TARGET): ?target=NAME[:TAG] or {\"target\": ...}. Admin, like pull, load and build: a name made here is what `docker run NAME`, Compose and later manifests start instead of pulling. A target that already names another image, or that a manifest or an agent container uses although it names no image yet, is a 409 (naming them) unless force=true.");
        images.MapPost("/{ref}/push", Push).RequireAuthorization(Roles.Admin)
            .WithSummary("Push a tagged image to its registry (docker push REF) with the configured credentials; progress is streamed as NDJSON, the last line is {\"pushed\", \"digest\"} or {\"error\"}.");
        images.MapGet("/{ref}/save", Save).RequireAuthorization(Roles.Operator)
            .WithSummary("The image as a tar stream (docker save REF).");
        images.MapPost("/load", Load).RequireAuthorization(Roles.Admin).WithMetadata(OwnBodyLimit.Instance).Accepts<Stream>("application/x-tar")
            .WithSummary("Load images from a `docker save` tar (docker load); the body is limited to Agent:Images:MaxLoadBytes. A tag in the tar that already names another image, or that a manifest or an agent container uses, is a 409 (naming them) unless force=true, and nothing is loaded.");
        images.MapDelete("/{ref}", Remove).RequireAuthorization(Roles.Admin)
            .WithSummary("Remove an image (docker rmi REF); one that a manifest or an agent container uses is a 409 naming them unless force=true, and so is a removal that deletes the image while an object is held without its spec (heldBy).");
        images.MapPost("/prune", Prune).RequireAuthorization(Roles.Admin)
            .WithSummary("Remove dangling images, or with all=true every image no container uses (docker image prune [-a] [--filter label=K=V] [--filter label!=K] [--filter until=24h]); " +
                         "all=true is 409 naming the objects when it would remove an image a manifest names, or while an object is held without its spec (heldBy: which images it uses is not known), unless force=true.");
        return api;
    }

    private static IResult? Check(string reference) => Identifiers.Image(reference) switch
    {
        IdentifierCheck.Malformed => ApiProblems.BadRequest("the image reference contains a control character (a NUL, a line break or another)"),
        IdentifierCheck.CannotExist => ApiProblems.NotFound($"\"{ApiProblems.Shown(reference)}\" is not an image reference"),
        // The engine's own refusal named its operation (probe-38: "image_inspect BusyBox:1.35 failed (400)").
        _ => ImageReferenceSyntax.Problem(reference) is { } why ? ApiProblems.BadRequest($"\"{ApiProblems.Shown(reference)}\" is not a valid image reference: {why}") : null,
    };

    private static async Task<IResult> Inspect(HttpContext http, string @ref, IContainerEngine engine, IOptions<AgentOptions> options, CancellationToken ct)
    {
        var reference = ImageReferencePaths.Decode(@ref);
        if (Check(reference) is { } bad) return bad;
        if (await engine.InspectImageDetailsAsync(reference, ct) is not { } image) return NoImage(reference);
        // A container's environment starts as its image's: a viewer sees neither's values (a build arg copied into ENV).
        return JsonAnswer.Ok(ContainerEndpoints.SeesEnv(http, options) ? image : image with { Env = ContainerEndpoints.RedactedEnv(image.Env) });
    }

    private static async Task<IResult> History(HttpContext http, string @ref, IContainerEngine engine, IOptions<AgentOptions> options, CancellationToken ct)
    {
        var reference = ImageReferencePaths.Decode(@ref);
        if (Check(reference) is { } bad) return bad;
        IReadOnlyList<ImageHistoryEntry> history;
        try
        {
            history = await engine.GetImageHistoryAsync(reference, ct);
        }
        catch (EngineNotFoundException)
        {
            return NoImage(reference); // as inspect says it, not the engine's "image_history ... failed (404)"
        }
        // Build args reach the history of RUN steps (probe-17 F6): a viewer does not see their values, as it does not see
        // containers' environment values (Agent:Auth:ViewerSeesEnv lets it see both).
        return JsonAnswer.Ok(ContainerEndpoints.SeesEnv(http, options) ? history
            : history.Select(h => h with { CreatedBy = HistoryRedaction.CreatedBy(h.CreatedBy) }).ToList());
    }

    private static async Task<IResult> Tag(HttpContext http, string @ref, string? target, bool? force, IContainerEngine engine, ImageUsers users,
        ImageNameReservations reservations, CancellationToken ct)
    {
        var reference = ImageReferencePaths.Decode(@ref);
        if (Check(reference) is { } bad) return bad;
        (target, var targetProblem) = await QueryOrBodyAsync<TagBody>(http, target, "target", b => b.Target, ct);
        if ((targetProblem ?? ImageNameProblem("target", target, digestAllowed: false)) is { } badTarget) return badTarget;
        var name = target!;
        if (await engine.InspectImageAsync(reference, ct) is not { } image) return NoImage(reference);
        // Held while tagging, so a build starting now cannot pass its check before this tag lands and then re-point it.
        using var hold = reservations.TryReserve(name, "being tagged by another request");
        if (hold is null) return ImageRepointing.Busy(reservations.Refusal(name) ?? $"{name} is being built");
        if (await ImageRepointing.RefusedAsync(name, image.Id, force == true, "tag", engine, users, ct) is { } refused) return refused;
        await engine.TagImageAsync(reference, name, ct);
        return JsonAnswer.Created($"/api/v1/images/{name}", new ImageTagged(reference, name));
    }

    private static async Task Push(HttpContext http, string @ref, IContainerEngine engine, CancellationToken ct)
    {
        var reference = ImageReferencePaths.Decode(@ref);
        if (Check(reference) is { } bad)
        {
            await bad.ExecuteAsync(http);
            return;
        }
        if (await engine.InspectImageAsync(reference, ct) is null)
        {
            await NoImage(reference).ExecuteAsync(http);
            return;
        }
        await Ndjson.StreamAsync<ImageProgress, ImagePushed>(http, async (progress, token) =>
        {
            var digest = await engine.PushImageAsync(reference, progress, token);
            return new ImagePushed(reference, digest);
        }, ct, held: PushNotUnderWay);
    }

    /// <summary>The engine's lines of a push before the registry accepted anything ("The push refers to repository",
    /// a layer's "Preparing" and "Waiting"): held back, so an unreachable registry (502) or refused credentials (422)
    /// answer a problem, as a pull does, not a 200 stream ending in an error line (probe-17 F1).</summary>
    private static bool PushNotUnderWay(ImageProgress line) =>
        line.Id is null || line.Status is "Preparing" or "Waiting";

    private static async Task<IResult> Save(HttpContext http, string @ref, IContainerEngine engine, CancellationToken ct)
    {
        var reference = ImageReferencePaths.Decode(@ref);
        if (Check(reference) is { } bad) return bad;
        if (await engine.InspectImageAsync(reference, ct) is null) return NoImage(reference);
        var tar = await engine.SaveImageAsync(reference, ct);
        var file = reference.Replace('/', '_').Replace(':', '_').Replace('@', '_') + ".tar";
        return Results.Stream(tar, "application/x-tar", file);
    }

    private static async Task<IResult> Load(HttpContext http, bool? force, IContainerEngine engine, IOptions<AgentOptions> options, AgentLabels labels, ImageUsers users,
        ImageNameReservations reservations, CancellationToken ct)
    {
        if (http.Request.ContentType?.StartsWith("application/x-tar", StringComparison.OrdinalIgnoreCase) != true)
            return ApiProblems.BadRequest("send the tar that `docker save` writes with Content-Type: application/x-tar");
        await using var tar = await Uploads.BufferAsync(http, options.Value.Images.MaxLoadBytes, "Agent:Images:MaxLoadBytes", ct);
        if (tar.Problem is { } problem) return problem;
        var head = new byte[6];
        var read = await tar.Stream!.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        tar.Stream.Position = 0;
        if (Core.Build.ContextArchive.CompressionOf(head.AsSpan(0, read)) is { } compression)
            return ApiProblems.BadRequest($"the tar is compressed with {compression}: the agent reads an image's labels before the engine loads it, " +
                                          $"from an uncompressed tar only; uncompress it first (or send what `docker save` writes). Nothing was loaded.");
        // Like a build: an image with the agent's own labels would make every container made from it look like the agent's.
        IReadOnlyList<ArchivedImage>? archived;
        try
        {
            archived = await ImageArchiveContents.ReadAsync(tar.Stream!, ct);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or EngineException)
        {
            return ApiProblems.BadRequest($"the body is not a tar that `docker save` writes: {e.Message}");
        }
        if (archived is null)
            return ApiProblems.BadRequest("the tar has no manifest.json: it is the layout of Docker before 1.10 (`repositories` and a folder per layer), "
                                          + "whose labels the agent does not read before loading. Save the image again with a current docker (docker save NAME). Nothing was loaded.");
        if (archived.FirstOrDefault(i => labels.ReservedOnImages(i.Labels).Count > 0) is { Image: not null } claiming)
            return ApiProblems.BadRequest($"{claiming.Image} carries the agent's own labels {string.Join(", ", labels.ReservedOnImages(claiming.Labels))}: "
                                          + $"a container inherits its image's labels, so images with labels starting with {labels.Prefix}. are not loaded. Nothing was loaded.");
        // Each tag in the tar re-points that name, as a tag would: the same rule, judged before anything is loaded.
        foreach (var image in archived)
            foreach (var name in image.Tags)
            {
                // docker save writes NAME:TAG; anything else the engine refuses halfway through the load (probe-39).
                var tagProblem = Identifiers.Image(name) != IdentifierCheck.Valid || name.Contains('@') || name.LastIndexOf(':') < name.LastIndexOf('/') + 1
                    ? "it is not NAME:TAG" : ImageReferenceSyntax.Problem(name);
                if (tagProblem is not null)
                    return ApiProblems.BadRequest($"manifest.json gives an image the tag \"{name}\", which is not a valid image name: {tagProblem}. Nothing was loaded.");
                if (reservations.Refusal(name) is { } busy) return ImageRepointing.Busy(busy + ". Nothing was loaded.");
                if (await ImageRepointing.RefusedAsync(name, image.Id, force == true, "load", engine, users, ct) is { } refused) return refused;
            }
        var loaded = await engine.LoadImagesAsync(tar.Stream!, ct);
        return JsonAnswer.Ok(new ImagesLoaded(loaded));
    }

    private static async Task<IResult> Search(string? term, int? limit, IContainerEngine engine, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(term)) return ApiProblems.BadRequest("term=TEXT is required, e.g. /api/v1/images/search?term=nginx");
        if (limit is < 1 or > 100) return ApiProblems.BadRequest("limit must be between 1 and 100");
        return JsonAnswer.Ok(await engine.SearchImagesAsync(term, limit, ct));
    }

    private static async Task<IResult> Remove(string @ref, bool? force, IContainerEngine engine, ImageUsers users, CancellationToken ct)
    {
        var reference = ImageReferencePaths.Decode(@ref);
        if (Check(reference) is { } bad) return bad;
        if (await engine.InspectImageAsync(reference, ct) is not { } image) return NoImage(reference);
        if (force != true && await users.FindAsync(reference, image, ct) is { Count: > 0 } usedBy)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"{reference} is used by {string.Join(", ", usedBy)}; remove or change those first, or pass force=true to remove it anyway.",
                extensions: new Dictionary<string, object?> { ["usedBy"] = usedBy });
        if (force != true && ImageUsers.RemovesImage(reference, image) && users.Held() is { } held)
            return HeldConflict($"removing {reference} deletes the image, and {held.Why}: it could be one of theirs. Fix the manifest (or wait for it to be read), " +
                                "or pass force=true to remove it anyway.", held);
        await engine.RemoveImageAsync(reference, force ?? false, ct);
        return JsonAnswer.Ok(new ImageRemoved(reference, "removed"));
    }

    private static async Task<IResult> Prune(bool? all, bool? force, [FromQuery] string[]? filter, IContainerEngine engine, ImageUsers users, CancellationToken ct)
    {
        var (labels, excluded) = (new List<string>(), new List<string>());
        string? until = null;
        foreach (var f in filter ?? [])
        {
            if (f.StartsWith("label=", StringComparison.Ordinal) && f.Length > 6) labels.Add(f[6..]);
            else if (f.StartsWith("label!=", StringComparison.Ordinal) && f.Length > 7) excluded.Add(f[7..]);
            else if (f.StartsWith("until=", StringComparison.Ordinal) && f.Length > 6)
            {
                until = f[6..];
                if (!IsUntil(until))
                    return ApiProblems.BadRequest($"filter=\"{f}\": until is a duration (24h, 90m, 1h30m), a Unix timestamp or an RFC 3339 time, as for docker image prune --filter until=");
            }
            else return ApiProblems.BadRequest($"filter=\"{f}\" is not one of label=KEY[=VALUE], label!=KEY[=VALUE] or until=DURATION|TIMESTAMP");
        }
        // As for DELETE: an image a manifest names is not removed without force, or a CronJob's next run, a suspended
        // group's resume or a recreate finds it gone (and an offline host cannot pull it again).
        // An object held without its spec (its manifest unreadable after a restart) could use any image: a failed read is never a deletion.
        if (all == true && force != true && users.Held() is { } held)
            return HeldConflict($"pruning every unused image could remove images the manifests use: {held.Why}; nothing is removed. Fix the manifest " +
                                "(or wait for it to be read), prune dangling images only (all=false), or pass force=true to prune anyway.", held);
        var pruning = new ImagePruneFilter(all ?? false, labels, until) { ExcludedLabels = excluded };
        if (all == true && force != true && await users.OfPrunableImagesAsync(pruning, ct) is { Count: > 0 } usedBy)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"pruning every unused image would remove images the manifests name: {string.Join(", ", usedBy)}; " +
                        "pass force=true to prune them too, or prune dangling images only (all=false).",
                extensions: new Dictionary<string, object?> { ["usedBy"] = usedBy });
        return JsonAnswer.Ok(await engine.PruneImagesAsync(pruning, ct));
    }

    private static async Task Pull(HttpContext http, string? image, IContainerEngine engine, AgentLabels labels, CancellationToken ct)
    {
        (image, var imageProblem) = await QueryOrBodyAsync<PullBody>(http, image, "image", b => b.Image, ct);
        if ((imageProblem ?? ImageNameProblem("image", image, digestAllowed: true)) is { } badImage)
        {
            await badImage.ExecuteAsync(http);
            return;
        }
        var pulled = image!;
        await Ndjson.StreamAsync<ImageProgress, ImagePulled>(http, async (progress, token) =>
        {
            await engine.PullImageAsync(pulled, progress, token);
            // As for load and build.
            if (await BuiltImageLabels.RemoveIfPulledClaimingOwnershipAsync(engine, labels, pulled, token) is { } claimed)
                throw new EngineException(claimed, 400);
            return new ImagePulled(pulled, (await engine.InspectImageAsync(pulled, token))?.Id);
        }, ct);
    }

    /// <summary>A field given as a query value or in a JSON body: both, with different values, is a 400 rather than one
    /// of them taken silently.</summary>
    private static async Task<(string? Value, IResult? Problem)> QueryOrBodyAsync<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties)] T>(
        HttpContext http, string? queried, string field, Func<T, string?> pick, CancellationToken ct) where T : class
    {
        var (sent, malformed) = await BodyField(http, pick, ct);
        if (malformed is not null) return (null, malformed);
        if (queried is not null && sent is not null && queried != sent)
            return (null, ApiProblems.BadRequest($"{field} is given twice, as {field}={queried} in the query and \"{sent}\" in the body: give one"));
        return (queried ?? sent, null);
    }

    /// <summary>A missing or malformed image name, said as such (the engine's own "invalid reference format" never reaches the client).</summary>
    /// <param name="where">Where the name goes in this request, for the message when it is missing; by default the query
    /// or the JSON body.</param>
    internal static IResult? ImageNameProblem(string field, string? name, bool digestAllowed, string? where = null)
    {
        if (string.IsNullOrEmpty(name))
            return ApiProblems.BadRequest($"{field} is required ({where ?? $"query {field}=NAME[:TAG] or {{\"{field}\": ...}}"}), e.g. localhost:5000/app:1.0");
        var problem = Identifiers.Image(name) != IdentifierCheck.Valid ? "it is not an image reference [REGISTRY/]NAME[:TAG]"
            : !digestAllowed && name.Contains('@') ? "a digest names content, not a name to give: use NAME[:TAG]"
            : ImageReferenceSyntax.Problem(name);
        return problem is null ? null : ApiProblems.BadRequest($"{field} \"{name}\" is not a valid image name: {problem}");
    }

    /// <summary>The field of a JSON body, read strictly (a wrong type, an unknown or repeated field is a 400 naming it,
    /// with line and column, as every other body's); none without a JSON body.</summary>
    private static async Task<(string? Value, IResult? Problem)> BodyField<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties)] T>(
        HttpContext http, Func<T, string?> pick, CancellationToken ct) where T : class
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true) return (null, null);
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (body.Trim(" \t\r\n"u8).IsEmpty) return (null, null); // no body: the field is missing, not malformed
        var (value, error) = StrictJson.Parse<T>(body);
        return error is not null ? (null, ApiProblems.BadBody(error)) : (value is null ? null : pick(value), null);
    }

    private static bool IsUntil(string value) => PruneUntil.Cutoff(value, DateTimeOffset.UtcNow) is not null;

    private static IResult HeldConflict(string detail, HeldImageUses held) =>
        Results.Problem(statusCode: 409, title: "Conflict", detail: detail, extensions: new Dictionary<string, object?> { ["heldBy"] = held.Objects });

    private static IResult NoImage(string reference) =>
        ApiProblems.NotFound($"No image \"{ApiProblems.Shown(reference)}\" on the engine; list them with GET /api/v1/images or pull it with POST /api/v1/images/pull.");
}
