using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// The containers this agent creates. The create event of one carries the labels the agent gave it (beside its image's),
/// and those are its own: the agent's labels always differ from its image's (see InheritedOwnership), so the observed
/// cache needs no inspect to tell, as it does for every other created container. The event can come before the create's
/// answer: a create in flight is known by its name and labels, a finished one by its id.
/// </summary>
public sealed class OwnCreates
{
    private readonly Lock sync = new();
    private readonly List<ContainerCreateRequest> inFlight = [];
    private readonly HashSet<string> made = new(StringComparer.Ordinal);

    /// <summary>Test hook, off unless set: "KEY=VALUE" makes the agent kill itself (SIGKILL, as kill -9) right after it
    /// created a container carrying that label (the agent's or the spec's), before it starts or records it, so that tests
    /// reach the window between a create and its start deterministically.</summary>
    public const string KillAfterCreateVariable = "AGENT_TEST_KILL_AFTER_CREATE";

    private static readonly string? KillAfterCreate = Environment.GetEnvironmentVariable(KillAfterCreateVariable) is { Length: > 0 } v ? v : null;

    /// <summary>Creates the container through <paramref name="engine"/>; returns its id.</summary>
    public async Task<string> CreateAsync(IContainerEngine engine, ContainerCreateRequest request, CancellationToken ct)
    {
        lock (sync) inFlight.Add(request);
        try
        {
            var id = await engine.CreateContainerAsync(request, ct);
            if (KillAfterCreate is { } label && request.Labels.Concat(request.Spec.Labels).Any(l => $"{l.Key}={l.Value}" == label))
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            lock (sync)
            {
                if (made.Count >= 10_000) made.Clear(); // create events that never came (stream down): those get inspected
                made.Add(id);
            }
            return id;
        }
        finally
        {
            lock (sync) inFlight.Remove(request);
        }
    }

    /// <summary>Whether <paramref name="e"/> is the create event of a container this agent made.</summary>
    public bool Made(EngineEvent e)
    {
        if (e is not { Type: "container", Action: "create" }) return false;
        var name = e.Attributes.GetValueOrDefault("name");
        lock (sync)
            return made.Contains(e.ActorId)
                   || inFlight.Any(r => r.Name == name && r.Labels.All(l => e.Attributes.TryGetValue(l.Key, out var v) && v == l.Value));
    }

    /// <summary>Whether this agent process created the container (and has not seen it destroyed).</summary>
    public bool MadeHere(string id)
    {
        lock (sync) return made.Contains(id);
    }

    /// <summary>The container is gone (its destroy event).</summary>
    public void Forget(string id)
    {
        lock (sync) made.Remove(id);
    }
}
