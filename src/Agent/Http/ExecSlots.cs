namespace Agent.Http;

/// <summary>
/// Bounds the execs that run at once, per client and in all: each one keeps up to 2 × Agent:Exec:MaxOutputBytes in the
/// agent for as long as its command runs, and the rate limit counts requests, not open ones (probe-15d H7).
/// </summary>
public sealed class ExecSlots(int perClient, int total)
{
    private readonly Dictionary<string, int> open = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private int running;

    public int PerClient => perClient;
    public int Total => total;

    /// <summary>A slot for <paramref name="client"/>, released when disposed; null when the client or the agent is at its
    /// bound (<paramref name="why"/> says which).</summary>
    public IDisposable? TryTake(string client, out string why)
    {
        lock (sync)
        {
            var mine = open.GetValueOrDefault(client);
            why = mine >= perClient ? $"{mine} exec(s) of this client are running (Agent:Exec:MaxConcurrentPerClient is {perClient})"
                : running >= total ? $"{running} exec(s) are running on this agent (Agent:Exec:MaxConcurrent is {total})"
                : "";
            if (why.Length > 0) return null;
            open[client] = mine + 1;
            running++;
            return new Slot(this, client);
        }
    }

    private void Release(string client)
    {
        lock (sync)
        {
            running--;
            if (--open[client] == 0) open.Remove(client);
        }
    }

    private sealed class Slot(ExecSlots slots, string client) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) slots.Release(client);
        }
    }
}
