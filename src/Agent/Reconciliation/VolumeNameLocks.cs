namespace Agent.Reconciliation;

/// <summary>
/// One lock per volume name, for the agent's own requests that make a volume and mount it (POST /run, a Job's attempt)
/// and those that remove one (POST /volumes/prune, DELETE /volumes/{name}): a run holds its volumes' names from the check
/// or create of each volume to its container's create (and a failed run's clean-up), and a removal holds the name from its
/// "in use?" check to the remove. So a prune never removes a volume that a run has just made or is about to mount (the
/// engine would make it again at the container's create, without the agent's labels, probe-17 F11), and a refused run
/// never removes one another request made. Names are taken sorted, so two holders of several names cannot deadlock; an
/// entry lives only while someone holds or waits for it.
/// </summary>
public sealed class VolumeNameLocks
{
    private sealed class Entry
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public int Users; // holding or waiting; under sync
    }

    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly Lock sync = new();

    /// <summary>Names with a holder or a waiter (for tests: entries do not outlive their use).</summary>
    public int Count
    {
        get
        {
            lock (sync) return entries.Count;
        }
    }

    /// <summary>Holds each of <paramref name="names"/> (in order, each once) until the handle is disposed.</summary>
    public async Task<IDisposable> HoldAsync(IEnumerable<string> names, CancellationToken ct)
    {
        var held = new List<(string Name, Entry Entry)>();
        try
        {
            foreach (var name in names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                Entry entry;
                lock (sync)
                {
                    if (!entries.TryGetValue(name, out entry!)) entries[name] = entry = new Entry();
                    entry.Users++;
                }
                try
                {
                    await entry.Gate.WaitAsync(ct);
                }
                catch
                {
                    Leave(name, entry, release: false);
                    throw;
                }
                held.Add((name, entry));
            }
        }
        catch
        {
            foreach (var (name, entry) in held) Leave(name, entry, release: true);
            throw;
        }
        return new Handle(this, held);
    }

    /// <summary>Holds one name until the handle is disposed.</summary>
    public Task<IDisposable> HoldAsync(string name, CancellationToken ct) => HoldAsync([name], ct);

    private void Leave(string name, Entry entry, bool release)
    {
        if (release) entry.Gate.Release();
        lock (sync)
        {
            if (--entry.Users == 0) entries.Remove(name);
        }
    }

    private sealed class Handle(VolumeNameLocks locks, List<(string Name, Entry Entry)> held) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1) return;
            foreach (var (name, entry) in held) locks.Leave(name, entry, release: true);
        }
    }
}
