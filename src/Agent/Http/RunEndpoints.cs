using Agent.Admission;
using Agent.Auth;
using Agent.Core;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.Http;

/// <summary>Imperative run: one container from a request body, through the same admission as manifests, labelled so the reconciler leaves it alone.</summary>
public static class RunEndpoints
{
    private const long MaxBody = 64 * 1024;

    // Runs have no manifests folder: relative binds resolve under this path and are refused.
    private const string NoManifestFolder = "/nonexistent/agent-run";

    public static RouteGroupBuilder MapRunEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/run", Run).RequireAuthorization(Roles.Admin).Accepts<OpenApiDescriptions.RunBody>("application/json")
            .WithSummary("Create and start a container (docker run -d): {\"service\": {name?, image, command, env, ports, volumes, resources, restart, ...}, "
                         + "\"autoRemove\": true (--rm), \"network\": one of the agent's networks (--network), \"waitFor\": {\"path\": \"/\", \"port\": 8080, \"timeout\": \"30s\"}}; a name is generated (run-xxxxxxxx) when absent.");
        api.MapPost("/containers", Create).RequireAuthorization(Roles.Admin).Accepts<OpenApiDescriptions.RunBody>("application/json")
            .WithSummary("Create a container without starting it (docker create): the body of POST /run without waitFor; start it with POST /containers/{id}/start.");
        return api;
    }

    private static Task<IResult> Run(HttpContext http, IContainerEngine engine, AgentLabels labels, SecurityPolicy policy,
        OwnedContainers owned, ContainerAdmission admission, OwnCreates ownCreates, VolumeNameLocks volumeLocks, ManifestStore manifests, ILogger<RunRequest> logger, CancellationToken ct) =>
        RunOrCreate(http, engine, labels, policy, owned, admission, ownCreates, volumeLocks, manifests, logger, start: true, ct);

    private static Task<IResult> Create(HttpContext http, IContainerEngine engine, AgentLabels labels, SecurityPolicy policy,
        OwnedContainers owned, ContainerAdmission admission, OwnCreates ownCreates, VolumeNameLocks volumeLocks, ManifestStore manifests, ILogger<RunRequest> logger, CancellationToken ct) =>
        RunOrCreate(http, engine, labels, policy, owned, admission, ownCreates, volumeLocks, manifests, logger, start: false, ct);

    /// <summary>The group or project whose containers are named like <paramref name="name"/> (GROUP-SERVICE-N), or null.</summary>
    private static string? ManifestContainerName(string name, ManifestStore manifests) =>
        ContainerNames.Claiming(name, manifests.All().Select(e => e.Object).OfType<ServiceGroup>()).Select(c => ContainerNames.Describe(c.Group, c.Service)).FirstOrDefault();

    /// <summary>A group or compose project held without its spec (its manifest cannot be read after a restart, or its
    /// prune is held) that may own <paramref name="name"/> (<see cref="ContainerNames.HeldClaim"/>), and why it is held.</summary>
    private static (ObjectKey Owner, string Why)? HeldNameOwner(string name, ManifestStore manifests, IReadOnlyList<ContainerSummary> own, AgentLabels labels)
    {
        static bool IsGroup(string kind) => kind is ServiceGroup.KindName or ServiceGroup.ComposeKindName;
        var owned = own.Where(c => c.Labels.TryGetValue(labels.Kind, out var kind) && IsGroup(kind) && c.Labels.ContainsKey(labels.Object))
            .Select(c => (c.Name, Owner: new ObjectKey(c.Labels[labels.Kind], c.Labels[labels.Object]))).ToList();
        var held = manifests.All().Select(e => e.Key).Where(k => IsGroup(k.Kind)).Concat(owned.Select(o => o.Owner)).Distinct()
            .Select(k => (Key: k, Why: DeclaredResources.HeldBy(k, manifests))).Where(h => h.Why is not null).ToDictionary(h => h.Key, h => h.Why!);
        return ContainerNames.HeldClaim(name, held.Keys, owned) is { } owner ? (owner, held[owner]) : null;
    }

    private static async Task<IResult> RunOrCreate(HttpContext http, IContainerEngine engine, AgentLabels labels, SecurityPolicy policy,
        OwnedContainers owned, ContainerAdmission admission, OwnCreates ownCreates, VolumeNameLocks volumeLocks, ManifestStore manifests, ILogger<RunRequest> logger, bool start, CancellationToken ct)
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            return ApiProblems.BadRequest("send the body as JSON with Content-Type: application/json");
        var (json, bodyProblem) = await ApiProblems.ReadJsonBodyAsync(http.Request, "A run request", MaxBody, ct);
        if (bodyProblem is not null) return bodyProblem;

        var ownContainers = await owned.ListAsync(null, null, null, ct);
        var own = ownContainers.Select(c => c.Name).Concat(ownContainers.Select(c => c.Id)).ToHashSet(StringComparer.Ordinal);
        var files = new ManifestFolder(NoManifestFolder);
        var generated = $"run-{Guid.NewGuid().ToString("N")[..8]}";
        var (request, errors) = RunRequestParser.Parse(json!, files, policy, new AdmissionContext(files.ResolveLinks, own.Contains), generated);
        if (request is null)
        {
            var (detail, extensions) = ApiProblems.FieldErrors(errors);
            return ApiProblems.BadRequest(detail, extensions);
        }
        if (!start && request.WaitFor is not null) return ApiProblems.BadRequest("waitFor: a created container is not started; use POST /api/v1/run to wait for it");
        if (request.Network is { } network)
        {
            var networks = (await engine.ListNetworksAsync(LabelSelector.ForInstance(labels), ct)).Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
            if (!networks.Contains(network, StringComparer.Ordinal))
                return ApiProblems.BadRequest($"network: \"{network}\" is not one of this agent's networks ({(networks.Count == 0 ? "it has none" : string.Join(", ", networks))})");
        }

        if (ManifestContainerName(request.Service.Name, manifests) is { } taken)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"The name {request.Service.Name} is how {taken} names its containers: a run under it would block the group when it scales or is recreated. Choose another name (or leave it out for a generated one).");

        if (HeldNameOwner(request.Service.Name, manifests, ownContainers, labels) is { } held)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"The name {request.Service.Name} may be how {held.Owner} names its containers: {held.Why}; a run under it could block it " +
                        "when it comes back. Choose another name (or leave it out for a generated one).",
                extensions: new Dictionary<string, object?> { ["heldBy"] = held.Owner.ToString() });

        var service = request.Service;
        var spec = service.Container;
        var present = await engine.InspectImageAsync(spec.Image, ct) is not null;
        if (spec.ImagePullPolicy == PullPolicy.Always || !present)
        {
            if (spec.ImagePullPolicy == PullPolicy.Never) return ApiProblems.BadRequest($"image {spec.Image} is not present and imagePullPolicy is Never");
            await engine.PullImageAsync(spec.Image, null, ct);
            if (await BuiltImageLabels.RemoveIfPulledClaimingOwnershipAsync(engine, labels, spec.Image, ct) is { } claimed) return ApiProblems.BadRequest(claimed);
        }

        spec = await WithAgentVolumesAsync(engine, labels, spec, ct);
        var key = new ObjectKey("Run", service.Name);
        var created = await CreateAdmittedAsync(engine, labels, admission, ownCreates, volumeLocks, key, spec, request, start, ct);
        if (created.Refused is { } refused) return ApiProblems.BadRequest(refused);
        var id = created.Id!;
        logger.LogInformation("Imperative {Verb} of {Name} ({Image}) by API", start ? "run" : "create", service.Name, spec.Image);
        var details = await engine.InspectContainerAsync(id, ct);
        var ports = details?.Ports.Where(p => p.HostPort is not null).ToList() ?? [];
        var body = new RunCreated(id, service.Name, start ? "started" : "created", ports, start && request.WaitFor is null);

        if (request.WaitFor is { } wait)
        {
            var hostPort = ports.FirstOrDefault(p => p.ContainerPort == wait.Port)?.HostPort;
            if (hostPort is null) return Results.Problem(statusCode: 502, title: "Bad Gateway", detail: $"the engine published no host port for {wait.Port}");
            var ready = await WaitForHttpAsync($"http://127.0.0.1:{hostPort}{wait.Path}", wait.Timeout, ct);
            if (!ready)
                return Results.Problem(statusCode: 504, title: "Gateway Timeout",
                    detail: $"{service.Name} was started but http://127.0.0.1:{hostPort}{wait.Path} did not answer 2xx/3xx within {wait.Timeout.TotalSeconds:0}s; it is left running for inspection (see its logs).",
                    extensions: new Dictionary<string, object?> { ["id"] = id, ["name"] = service.Name });
            body = body with { Ready = true };
        }
        return JsonAnswer.Created($"/api/v1/containers/{id}", body);
    }

    /// <summary>A named volume `X` is the agent's own volume `X` when there is one (made with POST /volumes, or a group's
    /// `GROUP_VOL` named in full), as `docker volume create X` then `docker run -v X:/d` mounts X; otherwise the run's own
    /// `run_X`. Before, it was always `run_X`: a volume made through the API could not be mounted, and a prune then removed
    /// it as unused (probe-62). Anyone else's volume is never mounted this way.</summary>
    private static async Task<ContainerSpec> WithAgentVolumesAsync(IContainerEngine engine, AgentLabels labels, ContainerSpec spec, CancellationToken ct)
    {
        var prefix = RunRequestParser.VolumePrefix;
        var mounts = new List<MountSpec>(spec.Mounts.Count);
        foreach (var mount in spec.Mounts)
        {
            if (mount is { Type: MountType.Volume, External: false, Source: { } source } && source.StartsWith(prefix, StringComparison.Ordinal)
                && await engine.InspectVolumeAsync(source[prefix.Length..], ct) is { } named && labels.IsOwned(named.Labels))
                mounts.Add(mount with { Source = named.Name });
            else mounts.Add(mount);
        }
        return spec with { Mounts = mounts };
    }

    /// <summary>Creates the run's own missing volumes, admits the container against what the engine now holds, creates and
    /// starts it. Whatever fails after a create removes what this request created: a failed run leaves nothing behind.</summary>
    private static async Task<(string? Id, string? Refused)> CreateAdmittedAsync(IContainerEngine engine, AgentLabels labels,
        ContainerAdmission admission, OwnCreates ownCreates, VolumeNameLocks volumeLocks, ObjectKey key, ContainerSpec spec, RunRequest request, bool start, CancellationToken ct)
    {
        var volumes = new List<string>();
        string? id = null;
        var done = false;
        // probe-17 F11: the run's volume names are held (VolumeNameLocks) from the volume's check or create to the
        // container's create (and a failed run's clean-up): runs sharing a new volume name, and a volume prune or delete,
        // wait. So a refused run never removes a volume another request just made, a prune never removes one this run
        // made or is about to mount, and the engine never creates it implicitly, unlabelled, at the container's create.
        using var held = await volumeLocks.HoldAsync(OwnVolumes.NamesOf(spec), CancellationToken.None);
        try
        {
            await OwnVolumes.CreateMissingAsync(engine, spec, labels.ForObject(key), volumes, ct);
            var admitted = await admission.CheckAsync(spec, owner: null, creator: key, fromManifests: false, ct);
            if (admitted.Refused is { } refused) return (null, refused);
            var runLabels = labels.ForReplica(key, key.Name, 1, SpecHash.Of(spec)); // the spec as asked for; the engine gets the judged paths
            runLabels[labels.Imperative] = "true";
            if (start) runLabels[labels.RunStart] = "true";
            var create = new ContainerCreateRequest(key.Name, admitted.Spec!, runLabels, request.Network) { AutoRemove = request.AutoRemove };
            try
            {
                id = await ownCreates.CreateAsync(engine, create, ct);
            }
            catch (EngineConflictException e) when (e.Message.Contains("already in use by container", StringComparison.Ordinal))
            {
                // The engine's answer names the holder's full id, which may be a container this API otherwise never shows.
                throw new EngineConflictException($"The name {key.Name} is already in use by another container (`docker ps -a` lists it): " +
                                                  "choose another name, or leave it out for a generated one.", e);
            }
            if (start)
            {
                if (await admission.StartAsync(id, () => engine.StartContainerAsync(id, ct), ct, created: create) is { } moved) return (null, moved);
            }
            done = true;
            return (id, null);
        }
        finally
        {
            if (!done)
            {
                // Not the request's token: a client that went away must not leave half a run behind.
                if (id is not null) await Quietly(() => engine.RemoveContainerAsync(id, force: true, CancellationToken.None));
                foreach (var volume in volumes) await Quietly(() => engine.RemoveVolumeAsync(volume, CancellationToken.None));
            }
        }
    }

    private static async Task Quietly(Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (EngineException)
        {
            // Best effort: the original failure is what the client hears about.
        }
    }

    private static async Task<bool> WaitForHttpAsync(string url, TimeSpan timeout, CancellationToken ct)
    {
        // The agent asks from the host's network namespace: a redirect is the answer (a 3xx counts as ready), never
        // followed, or a container could make the agent fetch the host's loopback services or a metadata address.
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.Plus(timeout);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(url, ct);
                if ((int)response.StatusCode < 400) return true;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        return false;
    }
}
