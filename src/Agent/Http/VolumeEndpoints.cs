using Agent.Auth;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.Http;

/// <summary>The agent's volumes (this instance's labels, and the compose-made ones a ComposeProject adopted): list and
/// inspect with usage, create through the security policy, remove, prune. Any other volume answers 404, as if it did not exist.</summary>
public static class VolumeEndpoints
{
    public sealed record VolumeBody(string? Name, string? Driver, IReadOnlyDictionary<string, string>? DriverOpts, IReadOnlyDictionary<string, string>? Labels);

    public sealed record VolumeUser(string Id, string Name, string State);

    public sealed record VolumeView(
        string Name, string Driver, string Mountpoint, IReadOnlyDictionary<string, string> Options, IReadOnlyDictionary<string, string> Labels,
        string? Owner, string? DeclaredBy, long? SizeBytes, IReadOnlyList<VolumeUser> UsedBy, int OtherContainers);

    public static RouteGroupBuilder MapVolumeEndpoints(this RouteGroupBuilder api)
    {
        var volumes = api.MapGroup("/volumes");
        volumes.MapGet("/", async (IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests, CancellationToken ct) =>
        {
            var usage = await engine.GetDiskUsageAsync(ct);
            return JsonAnswer.Ok((await managed.ListVolumesAsync(ct)).Select(v => View(v, usage, labels, manifests, managed)).ToList());
        }).WithSummary("List the agent's volumes (docker volume ls + system df -v), the compose-made ones its ComposeProjects adopted included: size, the containers that use them, the object that declares them.");

        volumes.MapGet("/{name}", async (string name, IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests, CancellationToken ct) =>
            await managed.FindVolumeAsync(name, ct) is { } v
                ? JsonAnswer.Ok(View(v, await engine.GetDiskUsageAsync(ct), labels, manifests, managed))
                : NotFound(name))
            .WithSummary("Inspect one of the agent's volumes (docker volume inspect) with its size and the containers that use it.");

        volumes.MapPost("/", Create).RequireAuthorization(Roles.Admin).Accepts<VolumeBody>("application/json")
            .WithSummary("Create a volume labelled as the agent's (docker volume create). Driver and driverOpts pass the security policy: only local (and Agent:Security:AllowedVolumeDrivers), options only for a tmpfs; a bind of a host path is refused.");

        volumes.MapDelete("/{name}", Remove).RequireAuthorization(Roles.Admin)
            .ScopedByLabels("volume", async (http, ct) =>
            {
                var managed = http.RequestServices.GetRequiredService<ManagedResources>();
                return await managed.FindVolumeAsync(http.Request.RouteValues["name"]?.ToString(), ct) is { } v ? managed.ScopeLabels(managed.VolumeOwner(v), v.Labels) : null;
            })
            .WithSummary("Remove a volume (docker volume rm). 409 naming the containers while any uses it; a volume a manifest declares needs force=true (409 naming the object otherwise).");

        volumes.MapPost("/prune", Prune).RequireAuthorization(Roles.Admin)
            .WithSummary("Remove the agent's volumes that no container uses and no manifest declares (docker volume prune, limited to this agent). Other volumes are never touched.");
        return api;
    }

    private static IResult NotFound(string name) =>
        ApiProblems.NotFound($"No volume \"{ApiProblems.Shown(name)}\" managed by this agent. Only the agent's own volumes are visible here; list them with GET /api/v1/volumes.");

    private static VolumeView View(VolumeSummary v, DiskUsage usage, AgentLabels labels, ManifestStore manifests, ManagedResources managed)
    {
        var users = usage.Containers.Where(c => c.Volumes.Contains(v.Name)).ToList();
        var size = usage.Volumes.FirstOrDefault(u => u.Name == v.Name)?.Size;
        return new VolumeView(v.Name, v.Driver, v.Mountpoint, v.Options, v.Labels, managed.VolumeOwner(v)?.ToString(),
            DeclaredResources.Volumes(manifests).TryGetValue(v.Name, out var declared) ? declared.ToString() : null,
            size is >= 0 ? size : null,
            users.Where(c => labels.IsOwned(c.Labels)).Select(c => new VolumeUser(c.Id, c.Name, c.State)).ToList(),
            users.Count(c => !labels.IsOwned(c.Labels)));
    }

    private static async Task<IResult> Create(HttpContext http, IContainerEngine engine, AgentLabels labels, SecurityPolicy policy, ManifestStore manifests, CancellationToken ct)
    {
        var (body, error) = await StrictJson.ReadAsync<VolumeBody>(http, ct);
        if (error is not null) return ApiProblems.BadBody(error);
        if (!DeclaredResources.IsPlausibleName(body!.Name) || Identifiers.EngineNameProblem(body.Name!) is not null)
            return ApiProblems.BadRequest($"name \"{body.Name}\" is not a volume name: letters, digits, '_', '.', '-', starting with a letter or digit, two characters at least and at most 255");
        var driver = string.IsNullOrWhiteSpace(body.Driver) ? "local" : body.Driver;
        var options = body.DriverOpts ?? new Dictionary<string, string>();
        var violations = policy.CheckVolume(new VolumeSpec(body.Name!, driver, options));
        if (violations.Count > 0) return ApiProblems.Refused(violations.Select(v => (v.Field, v.Message)));
        if (DeclaredResources.ApiLabels(labels, body.Labels, out var all) is { } labelProblem) return ApiProblems.BadRequest(labelProblem);
        if (await engine.InspectVolumeAsync(body.Name!, ct) is not null)
            return Results.Problem(statusCode: 409, title: "Conflict", detail: $"A volume named \"{body.Name}\" already exists; choose another name.");
        if (DeclaredResources.VolumeNameOwner(body.Name!, manifests) is { } owner)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"\"{body.Name}\" is a name {owner} gives its volumes ({owner.Name}_NAME): the agent would refuse to mount a volume made here, and the object could not start. Choose a name without the prefix {owner.Name}_.",
                extensions: new Dictionary<string, object?> { ["owner"] = owner.ToString() });
        await engine.CreateVolumeAsync(body.Name!, driver, options, all, ct);
        var created = await engine.InspectVolumeAsync(body.Name!, ct);
        return JsonAnswer.Created($"/api/v1/volumes/{body.Name}", created);
    }

    private static async Task<IResult> Remove(string name, bool? force, IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests,
        VolumeNameLocks volumeLocks, CancellationToken ct)
    {
        // Held from the look to the remove: a run (or a Job's attempt) making or about to mount this volume finishes first,
        // and its container then uses the volume (409 below).
        using var hold = await volumeLocks.HoldAsync(name, ct);
        if (await managed.FindVolumeAsync(name, ct) is not { } volume) return NotFound(name);
        if (await InUseAsync(volume.Name, engine, labels, ct) is { } inUse) return inUse;
        if (force != true && DeclaredResources.Volumes(manifests).TryGetValue(volume.Name, out var declared))
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Volume \"{name}\" is declared by {declared}: its data would be lost and {declared} would make it again, empty. Remove it from the manifest, or send force=true.",
                extensions: new Dictionary<string, object?> { ["declaredBy"] = declared.ToString() });
        var owner = managed.VolumeOwner(volume);
        if (force != true && DeclaredResources.HeldBy(owner, manifests) is { } held)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Volume \"{name}\" is kept: {held}. Its data could still be wanted; fix the manifest, or send force=true.",
                extensions: new Dictionary<string, object?> { ["heldBy"] = owner?.ToString() });
        await engine.RemoveVolumeAsync(volume.Name, ct);
        return JsonAnswer.Ok(new VolumeRemoved(volume.Name, "removed"));
    }

    /// <summary>A 409 naming the containers that use the volume (the agent's by name), or null when none does.</summary>
    private static async Task<IResult?> InUseAsync(string volume, IContainerEngine engine, AgentLabels labels, CancellationToken ct)
    {
        var users = await engine.ListContainersUsingVolumeAsync(volume, ct);
        if (users.Count == 0) return null;
        var ours = users.Where(c => labels.IsOwned(c.Labels)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        var others = users.Count - ours.Count;
        var names = string.Join(", ", ours.Concat(others > 0 ? [$"{others} container(s) not managed by this agent"] : []));
        return Results.Problem(statusCode: 409, title: "Conflict",
            detail: $"Volume \"{volume}\" is in use by {names}. Remove those containers first (a volume is in use by a container even while it is stopped).",
            extensions: new Dictionary<string, object?> { ["usedBy"] = ours, ["otherContainers"] = others });
    }

    private static async Task<IResult> Prune(IContainerEngine engine, ManagedResources managed, ManifestStore manifests, VolumeNameLocks volumeLocks, CancellationToken ct)
    {
        var declared = DeclaredResources.Volumes(manifests);
        var removed = new List<string>();
        var kept = new List<KeptResource>();
        var unused = new List<string>();
        foreach (var volume in await managed.ListVolumesAsync(ct))
        {
            if (declared.TryGetValue(volume.Name, out var by)) { kept.Add(new KeptResource(volume.Name, $"declared by {by}")); continue; }
            if (DeclaredResources.HeldBy(managed.VolumeOwner(volume), manifests) is { } held) { kept.Add(new KeptResource(volume.Name, held)); continue; }
            unused.Add(volume.Name);
        }

        DiskUsage? usage = null;
        long reclaimed = 0;
        foreach (var name in unused)
        {
            // Each volume's name is held from its "in use?" look to its remove (VolumeNameLocks): a run or a Job's attempt
            // that made it, or is about to mount it, has its container by the time the look is made (probe-17 F11).
            using var hold = await volumeLocks.HoldAsync(name, ct);
            if ((await engine.ListContainersUsingVolumeAsync(name, ct)).Count > 0) { kept.Add(new KeptResource(name, "in use")); continue; }
            // The engine computes disk usage one caller at a time, walking every container's layer: asked only once a volume
            // is to go (a prune run in a loop beside busy runs made it the engine's bottleneck), for the bytes reclaimed.
            usage ??= await engine.GetDiskUsageAsync(ct);
            try
            {
                await engine.RemoveVolumeAsync(name, ct);
                removed.Add(name);
                reclaimed += Math.Max(0, usage.Volumes.FirstOrDefault(u => u.Name == name)?.Size ?? 0);
            }
            catch (EngineConflictException e)
            {
                kept.Add(new KeptResource(name, e.Message)); // a container took it meanwhile
            }
        }
        return JsonAnswer.Ok(new Pruned(removed, kept, reclaimed));
    }
}
