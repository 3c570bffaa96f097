namespace Agent.Core.Planning;

internal sealed class PlanBuilder
{
    private readonly List<Operation> operations = [];
    private readonly List<Hold> held = [];
    private readonly List<string> adopted = [];
    private TimeSpan? requeueAfter;

    public int Add(OperationKind kind, string resource, string cause, IEnumerable<int> after, string? target = null, TimeSpan? timeout = null) =>
        Add(new Operation(operations.Count + 1, kind, resource, cause, after.Distinct().Order().ToList()) { Target = target, Timeout = timeout });

    public int Add(Operation operation)
    {
        operations.Add(operation with { Id = operations.Count + 1, After = operation.After.Distinct().Order().ToList() });
        return operations.Count;
    }

    /// <summary>True when the plan so far creates (or recreates) a container of <paramref name="service"/>.</summary>
    public bool CreatesContainerOf(string service) =>
        operations.Any(o => o.Kind == OperationKind.CreateContainer && o.ResourceId.StartsWith($"service:{service}:", StringComparison.Ordinal));

    public Operation this[int id]
    {
        get => operations[id - 1];
        set => operations[id - 1] = value with { Id = id };
    }

    private readonly Dictionary<string, int> imageChecks = new(StringComparer.Ordinal);

    /// <summary>One image check (or build) per image, pull policy and plan, however many services use it: each service's
    /// own imagePullPolicy holds, whatever the order of the services sharing the image (probe-61: the first one's decided
    /// for both, and a pull the second asked for failing offline failed the first too).</summary>
    public int EnsureImage(Model.ContainerSpec spec, bool compose)
    {
        var image = spec.Image;
        if (spec.Build is { } build)
        {
            var hash = Core.Build.BuildSpecs.Hash(build);
            if (!imageChecks.TryGetValue("build:" + image + "@" + hash, out var built))
                imageChecks["build:" + image + "@" + hash] = built = Add(new Operation(0, OperationKind.BuildImage, $"image:{image}", $"build {hash}: built from its context unless an image of it is there", [])
                {
                    Target = image,
                    Spec = spec,
                });
            return built;
        }
        var check = $"{image}|{spec.ImagePullPolicy}";
        if (!imageChecks.TryGetValue(check, out var id))
            imageChecks[check] = id = Add(new Operation(0, OperationKind.EnsureImage, $"image:{image}", Model.PullPolicyWords.Of(spec.ImagePullPolicy, compose), [])
            {
                Target = image,
                PullPolicy = spec.ImagePullPolicy,
            });
        return id;
    }

    /// <summary>
    /// Removes a container the way `docker compose down` does: a running one is stopped first, with its own stop
    /// signal and grace period, so that it can shut down cleanly; then it is removed.
    /// </summary>
    public int Retire(ObservedContainer container, string cause, IEnumerable<int> after)
    {
        var resource = $"container:{container.Name}";
        if (container.IsRunning) after = [Add(OperationKind.StopContainer, resource, cause, after, container.Id)];
        return Add(OperationKind.RemoveContainer, resource, cause, after, container.Id);
    }

    public void Hold(string reason, string why, string? container = null) => held.Add(new Hold(reason, why, container));

    public void Adopt(string resource) => adopted.Add(resource);

    public void RequeueAfter(TimeSpan delay) =>
        requeueAfter = requeueAfter is { } current && current < delay ? current : delay;

    private readonly Dictionary<int, string> blocked = [];

    /// <summary>Marks a wait that cannot succeed (it waits on a container this plan leaves stopped), with why. The built
    /// plan keeps neither it nor the operations that depend on it, directly or not (they would be skipped as failed, and
    /// the failure retried with back-off for ever); those are named in a <see cref="Planning.Hold.DependencyNotRunning"/> hold.</summary>
    public void Block(int id, string why) => blocked[id] = why;

    public Plan Build()
    {
        if (blocked.Count == 0) return new(operations) { Held = held, RequeueAfter = requeueAfter, Adopted = adopted };
        var dropped = new HashSet<int>(blocked.Keys);
        var cause = blocked.ToDictionary(b => b.Key, b => b.Key); // dropped op -> the blocked wait it waits for
        foreach (var op in operations) // in dependency order: prerequisites come first
            if (!dropped.Contains(op.Id) && op.After.FirstOrDefault(dropped.Contains) is var first and > 0)
            {
                dropped.Add(op.Id);
                cause[op.Id] = cause[first];
            }
        // An image check or build that only the dropped operations needed goes with them.
        foreach (var op in operations.Where(o => o.Kind is OperationKind.EnsureImage or OperationKind.BuildImage && !dropped.Contains(o.Id)))
        {
            var users = operations.Where(o => o.After.Contains(op.Id)).ToList();
            if (users.Count > 0 && users.All(u => dropped.Contains(u.Id))) dropped.Add(op.Id);
        }
        var holds = new List<Hold>(held);
        foreach (var (wait, why) in blocked.OrderBy(b => b.Key))
        {
            var waiting = operations.Where(o => o.IsMutation && o.Id != wait && cause.GetValueOrDefault(o.Id) == wait).Select(Describe).Distinct().ToList();
            if (waiting.Count > 0) holds.Add(new Hold(Planning.Hold.DependencyNotRunning, $"not done until {operations[wait - 1].Target} runs: {string.Join(", ", waiting)}: {why}"));
        }
        var renumbered = new Dictionary<int, int>();
        var kept = new List<Operation>();
        foreach (var op in operations.Where(o => !dropped.Contains(o.Id)))
        {
            renumbered[op.Id] = kept.Count + 1;
            kept.Add(op with { Id = kept.Count + 1, After = op.After.Select(a => renumbered[a]).ToList() });
        }
        return new(kept) { Held = holds, RequeueAfter = requeueAfter, Adopted = adopted };
    }

    /// <summary>"create g-api-1", "start container:g-api-1": what an operation would have done, for a hold.</summary>
    private static string Describe(Operation op) =>
        $"{op.Kind.ToString().Replace("Container", "", StringComparison.Ordinal).ToLowerInvariant()} {(op.Target is { Length: < 64 } name ? name : op.ResourceId)}";
}
