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

    /// <summary>One image check (or build) per image and plan, however many services use it.</summary>
    public int EnsureImage(Model.ContainerSpec spec)
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
        if (!imageChecks.TryGetValue(image, out var id))
            imageChecks[image] = id = Add(OperationKind.EnsureImage, $"image:{image}", $"imagePullPolicy {spec.ImagePullPolicy}", [], image);
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

    public void Hold(string reason, string why) => held.Add(new Hold(reason, why));

    public void Adopt(string resource) => adopted.Add(resource);

    public void RequeueAfter(TimeSpan delay) =>
        requeueAfter = requeueAfter is { } current && current < delay ? current : delay;

    public Plan Build() => new(operations) { Held = held, RequeueAfter = requeueAfter, Adopted = adopted };
}
