using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>
/// The local work of git syncs (compacting a cache, verifying, checking out, validating a revision), up to
/// Agent:Git:ConcurrentSyncs at a time. Talking to a remote takes no slot: each repository fetches on its own, bounded by
/// its own spec.timeout, so remotes that hang hold only their own repositories, never the slot a healthy one needs.
/// </summary>
public sealed class GitLocalSlots(IOptions<AgentOptions>? options = null)
{
    private readonly SemaphoreSlim slots = new(Math.Max(1, options?.Value.Git.ConcurrentSyncs ?? 4));

    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        await slots.WaitAsync(ct);
        return new Slot(slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) slots.Release();
        }
    }
}
