using Agent.Auth;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Sources;
using Microsoft.AspNetCore.Mvc;

namespace Agent.Http;

/// <summary>The agent's networks (this instance's labels, and the compose-made ones a ComposeProject adopted): list and inspect with the containers attached, create through
/// the security policy, remove, prune, connect and disconnect the agent's containers. Any other network answers 404.</summary>
public static class NetworkEndpoints
{
    public sealed record NetworkBody(string? Name, string? Driver, bool? Internal, bool? Attachable, IReadOnlyDictionary<string, string>? Options,
        string? Subnet, string? Gateway, IReadOnlyDictionary<string, string>? Labels);

    public sealed record NetworkView(NetworkDetails Network, string? Owner, string? DeclaredBy, int OtherContainers);

    public static RouteGroupBuilder MapNetworkEndpoints(this RouteGroupBuilder api)
    {
        var networks = api.MapGroup("/networks");
        networks.MapGet("/", async (IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests, CancellationToken ct) =>
        {
            var views = new List<NetworkView>();
            foreach (var n in await managed.ListNetworksAsync(ct))
                if (await engine.InspectNetworkAsync(n.Id, ct) is { } details) views.Add(await ViewAsync(details, engine, managed, labels, manifests, ct));
            return JsonAnswer.Ok(views);
        }).WithSummary("List the agent's networks (docker network ls), the compose-made ones its ComposeProjects adopted included, with the containers attached and the object that declares them.");

        networks.MapGet("/{id}", async (string id, IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests, CancellationToken ct) =>
            await managed.FindNetworkAsync(id, ct) is { } n ? JsonAnswer.Ok(await ViewAsync(n, engine, managed, labels, manifests, ct)) : NotFound(id))
            .WithSummary("Inspect one of the agent's networks (docker network inspect): driver, options, subnets, attached containers.");

        networks.MapPost("/", Create).RequireAuthorization(Roles.Admin).Accepts<NetworkBody>("application/json")
            .WithSummary("Create a bridge network labelled as the agent's (docker network create). Other drivers and bridge options other than enable_icc, enable_ip_masquerade and mtu are refused by the security policy.");

        networks.MapDelete("/{id}", Remove).RequireAuthorization(Roles.Admin).ScopedByLabels("network", NetworkLabels)
            .WithSummary("Remove a network (docker network rm). 409 naming the containers while any is attached; a network of an object in the manifests needs force=true.");

        networks.MapPost("/prune", Prune).RequireAuthorization(Roles.Admin)
            .WithSummary("Remove the agent's networks that no container is attached to and no object in the manifests owns (docker network prune, limited to this agent).");

        networks.MapPost("/{id}/containers/{container}", Connect).RequireAuthorization(Roles.Admin).ScopedToContainer("container").ScopedByLabels("network", NetworkLabels)
            .WithSummary("Connect one of the agent's containers to one of its networks (docker network connect NETWORK CONTAINER); alias= (repeatable) adds network aliases.");
        networks.MapDelete("/{id}/containers/{container}", Disconnect).RequireAuthorization(Roles.Admin).ScopedToContainer("container").ScopedByLabels("network", NetworkLabels)
            .WithSummary("Disconnect one of the agent's containers from one of its networks (docker network disconnect NETWORK CONTAINER).");
        return api;
    }

    private static async Task<IReadOnlyDictionary<string, string>?> NetworkLabels(HttpContext http, CancellationToken ct)
    {
        var managed = http.RequestServices.GetRequiredService<ManagedResources>();
        return await managed.FindNetworkAsync(http.Request.RouteValues["id"]?.ToString(), ct) is { } n ? managed.ScopeLabels(managed.NetworkOwner(n.Name, n.Labels), n.Labels) : null;
    }

    /// <summary>The object in the manifests that owns the network (by its labels, or the project that adopted it), or null.</summary>
    private static ObjectKey? DeclaredBy(NetworkDetails n, ManagedResources managed, ManifestStore manifests) =>
        managed.NetworkOwner(n.Name, n.Labels) is { } owner && manifests.Get(owner) is not null ? owner : null;

    private static IResult NotFound(string id) =>
        ApiProblems.NotFound($"No network \"{ApiProblems.Shown(id)}\" managed by this agent. Only the agent's own networks are visible here; list them with GET /api/v1/networks.");

    /// <summary>The network with only the agent's containers named; others are counted.</summary>
    private static async Task<NetworkView> ViewAsync(NetworkDetails n, IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests, CancellationToken ct)
    {
        var ours = (await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct)).Where(c => labels.IsOwned(c.Labels)).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        return new NetworkView(n with { Containers = n.Containers.Where(c => ours.Contains(c.ContainerId)).ToList() }, managed.NetworkOwner(n.Name, n.Labels)?.ToString(),
            DeclaredBy(n, managed, manifests)?.ToString(), n.Containers.Count(c => !ours.Contains(c.ContainerId)));
    }

    private static async Task<IResult> Create(HttpContext http, IContainerEngine engine, AgentLabels labels, Admission.HostNetworks host, ManifestStore manifests, CancellationToken ct)
    {
        var (body, error) = await StrictJson.ReadAsync<NetworkBody>(http, ct);
        if (error is not null) return ApiProblems.BadBody(error);
        if (!DeclaredResources.IsPlausibleName(body!.Name))
            return ApiProblems.BadRequest($"name \"{body.Name}\" is not a network name: letters, digits, '_', '.', '-', starting with a letter or digit, at most 255");
        var options = body.Options ?? new Dictionary<string, string>();
        var violations = NetworkRules.Problems(body.Driver, options, body.Subnet, body.Gateway);
        if (violations.Count == 0 && body.Subnet is not null)
        {
            var facts = host.Read();
            violations = new[] { ("subnet", body.Subnet), ("gateway", body.Gateway) }
                .Select(f => f.Item2 is null ? null : HostRouteRules.Problem(f.Item2, facts) is { } problem ? new Violation(f.Item1, problem) : null)
                .OfType<Violation>().ToList();
            if (violations.Count == 0) violations = NetworkRules.RoomProblems(body.Subnet, body.Gateway);
        }
        if (violations.Count > 0) return ApiProblems.Refused(violations.Select(v => (v.Field, v.Message)));
        if (DeclaredResources.ApiLabels(labels, body.Labels, out var all) is { } labelProblem) return ApiProblems.BadRequest(labelProblem);
        if ((await engine.FindNetworksByNameAsync(body.Name!, ct)).Count > 0)
            return Results.Problem(statusCode: 409, title: "Conflict", detail: $"A network named \"{body.Name}\" already exists; choose another name.");
        if (DeclaredResources.NetworkNameOwner(body.Name!, manifests) is { } owner)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"\"{body.Name}\" is a name {owner} gives its networks ({owner.Name}_default, {owner.Name}_NAME): the object would find a network it did not make under its own name. Choose a name without the prefix {owner.Name}_.",
                extensions: new Dictionary<string, object?> { ["owner"] = owner.ToString() });
        var id = await engine.CreateNetworkAsync(new NetworkCreateRequest(body.Name!, all)
        {
            Internal = body.Internal ?? false,
            Attachable = body.Attachable ?? false,
            Options = options,
            Subnet = body.Subnet,
            Gateway = body.Gateway,
        }, ct);
        return JsonAnswer.Created($"/api/v1/networks/{id}", await engine.InspectNetworkAsync(id, ct));
    }

    private static async Task<IResult> Remove(string id, bool? force, IContainerEngine engine, ManagedResources managed, AgentLabels labels, ManifestStore manifests, CancellationToken ct)
    {
        if (await managed.FindNetworkAsync(id, ct) is not { } network) return NotFound(id);
        if (network.Containers.Count > 0)
        {
            var view = await ViewAsync(network, engine, managed, labels, manifests, ct);
            var names = view.Network.Containers.Select(c => c.Name).Concat(view.OtherContainers > 0 ? [$"{view.OtherContainers} container(s) not managed by this agent"] : []);
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Network \"{network.Name}\" has containers attached: {string.Join(", ", names)}. Disconnect or remove them first.",
                extensions: new Dictionary<string, object?> { ["usedBy"] = view.Network.Containers.Select(c => c.Name).ToList(), ["otherContainers"] = view.OtherContainers });
        }
        if (force != true && DeclaredBy(network, managed, manifests) is { } owner)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Network \"{network.Name}\" belongs to {owner}, which is in the manifests and would make it again. Send force=true to remove it anyway.",
                extensions: new Dictionary<string, object?> { ["declaredBy"] = owner.ToString() });
        await engine.RemoveNetworkAsync(network.Id, ct);
        return JsonAnswer.Ok(new ResourceActed(network.Id, network.Name, "removed"));
    }

    private static async Task<IResult> Prune(IContainerEngine engine, ManagedResources managed, ManifestStore manifests, CancellationToken ct)
    {
        var removed = new List<string>();
        var kept = new List<KeptResource>();
        foreach (var summary in await managed.ListNetworksAsync(ct))
        {
            if (await engine.InspectNetworkAsync(summary.Id, ct) is not { } n) continue;
            if (DeclaredBy(n, managed, manifests) is { } owner) { kept.Add(new KeptResource(n.Name, $"owned by {owner}")); continue; }
            if (n.Containers.Count > 0) { kept.Add(new KeptResource(n.Name, "in use")); continue; }
            try
            {
                await engine.RemoveNetworkAsync(n.Id, ct);
                removed.Add(n.Name);
            }
            catch (EngineException e) when (e is not EngineUnavailableException)
            {
                kept.Add(new KeptResource(n.Name, e.Message)); // a container joined meanwhile
            }
        }
        return JsonAnswer.Ok(new Pruned(removed, kept, null));
    }

    private static async Task<IResult> Connect(string id, string container, [FromQuery] string[]? alias, IContainerEngine engine, ManagedResources managed, OwnedContainers owned, CancellationToken ct)
    {
        if (alias?.FirstOrDefault(a => !IsAlias(a)) is { } badAlias)
            return ApiProblems.BadRequest($"alias=\"{badAlias}\" is not a network alias: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 63");
        if (await managed.FindNetworkAsync(id, ct) is not { } network) return NotFound(id);
        if (await owned.FindAsync(container, ct) is not { } c) return ApiProblems.ContainerNotFound(container);
        if (network.Containers.Any(e => e.ContainerId == c.Id))
            return Results.Problem(statusCode: 409, title: "Conflict", detail: $"Container {c.Name} is already connected to network {network.Name}.");
        await engine.ConnectNetworkAsync(network.Id, c.Id, alias ?? [], ct);
        return JsonAnswer.Ok(new NetworkConnection(network.Name, c.Name, "connected"));
    }

    private static async Task<IResult> Disconnect(string id, string container, bool? force, IContainerEngine engine, ManagedResources managed, OwnedContainers owned,
        AgentLabels labels, ManifestStore manifests, CancellationToken ct)
    {
        if (await managed.FindNetworkAsync(id, ct) is not { } network) return NotFound(id);
        if (await owned.FindAsync(container, ct) is not { } c) return ApiProblems.ContainerNotFound(container);
        if (network.Containers.All(e => e.ContainerId != c.Id))
            return Results.Problem(statusCode: 409, title: "Conflict", detail: $"Container {c.Name} is not connected to network {network.Name}.");
        // Like deleting a pod's volume under its controller: the reconciler would put it back (it recreates the replica).
        if (DeclaredBy(network, managed, manifests) is { } owner && ReplicaOf(c.Labels, labels) == owner)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Container {c.Name} is a replica of {owner}, which is in the manifests with network {network.Name}: the agent would recreate the replica to put it back. Change the manifest instead.");
        await engine.DisconnectNetworkAsync(network.Id, c.Id, force ?? false, ct);
        return JsonAnswer.Ok(new NetworkConnection(network.Name, c.Name, "disconnected"));
    }

    /// <summary>The object whose replica the container is (not an API run or a job run), by its labels.</summary>
    private static ObjectKey? ReplicaOf(IReadOnlyDictionary<string, string> l, AgentLabels labels) =>
        !l.ContainsKey(labels.Imperative) && !l.ContainsKey(labels.JobRun) && l.TryGetValue(labels.Kind, out var kind) && l.TryGetValue(labels.Object, out var name)
            ? new ObjectKey(kind, name) : null;

    private static bool IsAlias(string alias) =>
        alias is { Length: > 0 and <= 63 } && char.IsAsciiLetterOrDigit(alias[0]) && alias.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
