namespace Agent.Core.Model;

/// <summary>
/// The label contract: everything the agent creates carries <c>{prefix}.managed=true</c> and
/// <c>{prefix}.instance=ID</c> plus owner labels. The agent lists by these labels and never acts on
/// an object whose labels do not match its own instance.
/// </summary>
public sealed class AgentLabels(string instanceId, string prefix = AgentLabels.DefaultPrefix)
{
    public const string DefaultPrefix = "agent";

    public string InstanceId { get; } = instanceId;
    public string Prefix { get; } = prefix;

    public string Managed => $"{Prefix}.managed";
    public string Instance => $"{Prefix}.instance";
    public string Kind => $"{Prefix}.kind";
    public string Object => $"{Prefix}.object";
    public string Service => $"{Prefix}.service";
    public string Replica => $"{Prefix}.replica";
    public string SpecHash => $"{Prefix}.spec-hash";

    /// <summary>The container's spec as the agent applied it (JSON), so `agent diff` can name the fields that changed.</summary>
    public string Spec => $"{Prefix}.spec";
    public string Imperative => $"{Prefix}.imperative";

    /// <summary>On containers of POST /run (made to be started at once), not on those of POST /containers (made to stay
    /// created): one of the first still created when another agent process starts was left by an agent killed between
    /// its create and its start, and is removed.</summary>
    public string RunStart => $"{Prefix}.run-start";
    public string Prune => $"{Prefix}.prune";
    public string PruneVolume => $"{Prefix}.prune-volume";

    /// <summary>On job containers only: the run they belong to. Self-healing and the planner never see a container with it.</summary>
    public string JobRun => $"{Prefix}.job-run";
    public string JobAttempt => $"{Prefix}.job-attempt";
    public string JobTrigger => $"{Prefix}.job-trigger";
    public string JobScheduled => $"{Prefix}.job-scheduled";
    public string JobStart => $"{Prefix}.job-start";
    public string JobTemplateHash => $"{Prefix}.job-template-hash";

    /// <summary>On the new container of an update: the spec hash of the container it replaces. It stays true after the
    /// promotion (labels cannot change), unlike a role such as "next" would; whether it serves is told by the slot.</summary>
    public string UpdateFrom => $"{Prefix}.update-from";

    /// <summary>On images the agent built: the hash of the build (context content, Dockerfile, args, target, labels), so
    /// that an image already built from the same context is not built again. Never an ownership label: a container
    /// inherits its image's labels.</summary>
    public string BuildHash => $"{Prefix}.build-hash";

    /// <summary>On images built through the API: the instance that built them. Never an ownership label either.</summary>
    public string BuiltBy => $"{Prefix}.built-by";

    /// <summary>The agent's own keys among an image's labels, other than the two it puts on images itself: a container
    /// inherits its image's labels, so an image carrying agent.managed, agent.instance or agent.object would make every
    /// container made from it look like one of the agent's.</summary>
    public IReadOnlyList<string> ReservedOnImages(IReadOnlyDictionary<string, string> imageLabels) =>
        imageLabels.Keys.Where(k => IsReservedKey(k, Prefix) && k != BuildHash && k != BuiltBy).Order(StringComparer.Ordinal).ToList();

    /// <summary>The labels that make a container the agent's (or name its owner). An image never carries them: a
    /// container inherits its image's labels (see <see cref="InheritedOwnership"/>).</summary>
    public IReadOnlyList<string> OwnershipKeys => [Managed, Instance, Kind, Object, Service, Replica, SpecHash, Imperative, JobRun, UpdateFrom];

    /// <summary>On networks: the object's own name for the network ("default"); the engine name can differ when it was taken.</summary>
    public string Network => $"{Prefix}.network";

    /// <summary>On networks: the digest of the definition it was created from (<see cref="NetworkSpec.DefinitionHash"/>).</summary>
    public string NetworkHash => $"{Prefix}.network-hash";

    /// <summary>Why a label a user asks for (a service's or job's <c>labels:</c>, a volume, network or build in an API
    /// body) is refused: keys under the agent's prefix are the agent's own. One on a container would pass it off as
    /// another of the agent's kinds (a job run, an imperative run), which self-healing, status and prune then skip.</summary>
    public static string? ReservedKeyProblem(string key) => ReservedKeyProblem(key, DefaultPrefix);

    /// <inheritdoc cref="ReservedKeyProblem(string)"/>
    public static string? ReservedKeyProblem(string key, string prefix) =>
        IsReservedKey(key, prefix)
            ? $"\"{key}\": labels starting with \"{prefix}.\" (in any case or width) are the agent's own and set by it; use another prefix"
            : null;

    /// <summary>Whether <paramref name="key"/> is under <paramref name="prefix"/>, judged in any case and after Unicode
    /// NFKC normalisation (<see cref="AsciiCompatibility"/>): <c>Agent.Object</c> and <c>ａgent.object</c> (fullwidth a)
    /// read as the agent's own to a person.</summary>
    public static bool IsReservedKey(string key, string prefix) =>
        AsciiCompatibility.Fold(key).StartsWith(prefix + ".", StringComparison.OrdinalIgnoreCase);

    /// <summary>User labels (a compose network's or volume's labels:) without this agent's own keys, which they cannot set.</summary>
    public IEnumerable<KeyValuePair<string, string>> UserLabels(IReadOnlyDictionary<string, string> user) =>
        user.Where(kv => !kv.Key.StartsWith(Prefix + ".", StringComparison.Ordinal));

    /// <summary>The label filter values that select this instance's objects ("key=value").</summary>
    public IReadOnlyList<string> InstanceSelector => [$"{Managed}=true", $"{Instance}={InstanceId}"];

    public Dictionary<string, string> ForInstance() => new(StringComparer.Ordinal)
    {
        [Managed] = "true",
        [Instance] = InstanceId,
    };

    public Dictionary<string, string> ForObject(ObjectKey key)
    {
        var labels = ForInstance();
        labels[Kind] = key.Kind;
        labels[Object] = key.Name;
        return labels;
    }

    public Dictionary<string, string> ForReplica(ObjectKey key, string service, int replica, string specHash)
    {
        var labels = ForObject(key);
        labels[Service] = service;
        labels[Replica] = replica.ToString(System.Globalization.CultureInfo.InvariantCulture);
        labels[SpecHash] = specHash;
        return labels;
    }

    /// <summary>The replica number <see cref="ForReplica"/> wrote; 0 when the labels have none.</summary>
    public int ReplicaOf(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Replica, out var text) && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var replica) ? replica : 0;

    /// <summary>True when the labels say this instance owns the object; the last guard before any mutation.</summary>
    public bool IsOwned(IReadOnlyDictionary<string, string>? labels) =>
        labels is not null
        && labels.TryGetValue(Managed, out var managed) && managed == "true"
        && labels.TryGetValue(Instance, out var instance) && instance == InstanceId;
}
