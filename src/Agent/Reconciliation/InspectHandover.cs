using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// A start of one of the agent's containers whose caller inspects it right after the start anyway (the bind-mount check
/// of <see cref="Admission.BindMountGuard"/>): the observed cache leaves the inspect its start event would queue to the
/// caller, who hands that inspect over (<see cref="Inspected"/>), so a started container with binds costs one inspect,
/// not two. Each rule falls back to the cache's own inspect: the start event not seen before the caller's inspect was
/// sent, an event after it, an inspect that failed, or a caller that gave up (<see cref="Dispose"/>).
/// </summary>
public sealed class InspectHandover : IDisposable
{
    /// <summary>How long the caller waits for the start event before it inspects: the engine sends the event before it
    /// answers the start, so it is normally applied within milliseconds; under load it may lag, then the cache inspects
    /// too (as before) and nothing is lost but a call.</summary>
    public static readonly TimeSpan StartEventWait = TimeSpan.FromSeconds(5);

    private readonly ObservedCache? cache;
    private readonly TaskCompletionSource startSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal InspectHandover(ObservedCache? cache, string id)
    {
        this.cache = cache;
        Id = id;
        if (cache is null) startSeen.TrySetResult();
    }

    /// <summary>A handover the cache does not take part in (it is not current: its events may be lost).</summary>
    internal static InspectHandover None(string id) => new(null, id);

    internal string Id { get; }

    /// <summary>The cache sequence of the start event whose inspect was left to the caller; null before it came. Under the
    /// cache's lock.</summary>
    internal long? SkippedAt { get; set; }

    /// <summary>Handed over or given up: nothing more to do. Under the cache's lock.</summary>
    internal bool Done { get; set; }

    internal void StartEventApplied() => startSeen.TrySetResult();

    /// <summary>Waits (at most <see cref="StartEventWait"/>) until the start event is applied, then answers the cache's
    /// event sequence to pass to <see cref="Inspected"/>: the inspect must be sent after this call.</summary>
    public async Task<long> BeforeInspectAsync(CancellationToken ct)
    {
        try
        {
            await startSeen.Task.WaitAsync(StartEventWait, ct);
        }
        catch (TimeoutException)
        {
            // the cache inspects itself when the event comes
        }
        return cache?.EventSequence ?? 0;
    }

    /// <summary>The caller's inspect after the start (null: the container is gone), sent after
    /// <see cref="BeforeInspectAsync"/> answered <paramref name="asked"/>.</summary>
    public void Inspected(ContainerDetails? details, long asked) => cache?.HandedOver(this, details, asked);

    public void Dispose() => cache?.GaveUp(this);
}
