using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.Http;

/// <summary>Resolves an id or name to one of this agent's containers; anything else is treated as if it did not exist.</summary>
public sealed class OwnedContainers(IContainerEngine engine, ObservedCache cache, AgentLabels labels)
{
    public async Task<ContainerDetails?> FindAsync(string idOrName, CancellationToken ct)
    {
        // Also for the scope check, which runs before the route's own id filter (probe-15f F8: `%2Fname` reached the engine).
        if (idOrName.Length > 128 || Identifiers.Container(idOrName) != IdentifierCheck.Valid) return null;
        var details = await engine.InspectContainerAsync(idOrName, ct);
        return details is not null && labels.IsOwned(details.Labels) ? details : null;
    }

    /// <summary>From the observed-state cache while it is current (no engine call), else one list call; while the engine
    /// is unreachable, the last observed state (when there is one) rather than a 503, and at once while the heartbeat
    /// knows it does not answer (a hung engine would hold each list call for Agent:EngineRequestTimeout).</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListAsync(string? group, string? service, string? state, CancellationToken ct)
    {
        IEnumerable<ContainerSummary> all;
        IEnumerable<ContainerSummary> Cached() =>
            cache.Containers.Where(c => (string.IsNullOrEmpty(group) || c.Labels.GetValueOrDefault(labels.Object) == group)
                                        && (string.IsNullOrEmpty(service) || c.Labels.GetValueOrDefault(labels.Service) == service));
        if (cache.IsCurrent || (cache.EngineAway && cache.Listings > 0)) all = Cached();
        else
        {
            var selector = LabelSelector.ForInstance(labels);
            if (!string.IsNullOrEmpty(group)) selector = selector.And(labels.Object, group);
            if (!string.IsNullOrEmpty(service)) selector = selector.And(labels.Service, service);
            try
            {
                all = await engine.ListContainersAsync(selector, ct);
            }
            catch (EngineUnavailableException) when (cache.Listings > 0)
            {
                all = Cached();
            }
        }
        return all.Where(c => labels.IsOwned(c.Labels)
                              && (string.IsNullOrEmpty(state) || string.Equals(c.State.ToString(), state, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }
}
