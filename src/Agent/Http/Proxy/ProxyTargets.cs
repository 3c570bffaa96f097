using System.Collections.Concurrent;
using Agent.Engine;

namespace Agent.Http.Proxy;

/// <summary>The agent's containers as the proxy looks them up: an inspect per proxied request would cost more than the
/// request itself, so an answer is kept for a second, and dropped at once when forwarding to it fails (a restart moves
/// an ephemeral host port). Only containers found to be the agent's are kept.</summary>
public sealed class ProxyTargets(OwnedContainers owned, TimeProvider time)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);
    private const int MaxEntries = 1024;
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, ContainerDetails Container)> recent = new(StringComparer.Ordinal);

    public async Task<ContainerDetails?> FindAsync(string idOrName, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (recent.TryGetValue(idOrName, out var hit) && hit.Until > now) return hit.Container;
        var container = await owned.FindAsync(idOrName, ct);
        if (container is null)
        {
            recent.TryRemove(idOrName, out _);
            return null;
        }
        if (recent.Count >= MaxEntries) recent.Clear();
        recent[idOrName] = (now + Fresh, container);
        return container;
    }

    public void Forget(string idOrName) => recent.TryRemove(idOrName, out _);
}
