using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Agent.Core.Model;
using Agent.Reconciliation;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Agent.Http;

/// <summary>
/// The JSON of GET /api/v1/containers, serialized once per change of the observed cache (per query and per view:
/// with or without the applied-spec label) instead of once per request, with an ETag that is a digest of the body.
/// While the cache is not current (before the first listing, while the events stream is down) every request lists again.
/// </summary>
public sealed class ContainerListBodies(OwnedContainers owned, ObservedCache cache, AgentLabels labels, IOptions<JsonOptions> json)
{
    /// <summary>The serialized list and its strong ETag (quoted).</summary>
    public sealed record Body(byte[] Json, string ETag);

    private readonly record struct Query(string? Group, string? Service, string? State, bool WithSpec);

    private sealed record Snapshot(object Source, ConcurrentDictionary<Query, Body> Bodies);

    /// <summary>Queries come from the client: past this many per cache version, bodies are made but not kept.</summary>
    private const int MaxKept = 64;

    private Snapshot? snapshot; // replaced whole when the cache changed, so a body is never paired with another version

    public async Task<Body> GetAsync(string? group, string? service, string? state, bool withSpec, CancellationToken ct)
    {
        // Read the version before the list: a body is then at least as new as the version it is kept under.
        var source = cache.ContainersVersion;
        if (!cache.IsCurrent) return await MakeAsync(group, service, state, withSpec, ct);
        var kept = snapshot;
        if (kept is null || !ReferenceEquals(kept.Source, source))
        {
            kept = new Snapshot(source, new ConcurrentDictionary<Query, Body>());
            snapshot = kept;
        }
        var query = new Query(NullIfEmpty(group), NullIfEmpty(service), NullIfEmpty(state)?.ToLowerInvariant(), withSpec);
        if (kept.Bodies.TryGetValue(query, out var body)) return body;
        body = await MakeAsync(group, service, state, withSpec, ct);
        if (kept.Bodies.Count < MaxKept) kept.Bodies.TryAdd(query, body);
        return body;
    }

    private async Task<Body> MakeAsync(string? group, string? service, string? state, bool withSpec, CancellationToken ct)
    {
        var items = (await owned.ListAsync(group, service, state, ct)).Select(c => ContainerListItem.From(c, labels, withSpec)).ToList();
        var bytes = JsonSerializer.SerializeToUtf8Bytes(items, (JsonTypeInfo<IEnumerable<ContainerListItem>>)json.Value.SerializerOptions.GetTypeInfo(typeof(IEnumerable<ContainerListItem>)));
        return new Body(bytes, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16))}\"");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
