namespace Agent.Cli.Client;

/// <summary>What `agent get KIND` names: containers, all, or an object kind. Kinds are matched against the kinds the
/// server lists (singular or plural, any case), so a kind added to the agent appears here without a change.</summary>
public static class ResourceKinds
{
    public const string Containers = "containers";
    public const string All = "all";

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sg"] = "ServiceGroup",
        ["cp"] = "ComposeProject",
        ["cj"] = "CronJob",
        ["gitrepo"] = "GitRepository",
        ["gitrepos"] = "GitRepository",
        ["ct"] = Containers,
        ["container"] = Containers,
    };

    /// <summary>The kinds the server lists (<see cref="Status.ListedKinds"/>); an empty list of one of them is "No resources found", not an error.</summary>
    private static IReadOnlyList<string> Known => Status.ListedKinds.All;

    /// <summary>The kind for a name as typed, given the kinds the server has objects of; null when nothing matches.</summary>
    public static string? Resolve(string typed, IEnumerable<string> serverKinds)
    {
        if (Aliases.TryGetValue(typed, out var alias)) return alias;
        if (typed.Equals(Containers, StringComparison.OrdinalIgnoreCase)) return Containers;
        if (typed.Equals(All, StringComparison.OrdinalIgnoreCase)) return All;
        return serverKinds.Concat(Known).FirstOrDefault(k => Matches(k, typed));
    }

    /// <summary>Whether `agent get KIND` (<paramref name="resolved"/>) lists an object of <paramref name="objectKind"/>: its own
    /// kind, and for Job also the API's jobs (ApiJob, POST /api/v1/jobs), as GET /api/v1/jobs lists both (probe-17 F7).</summary>
    public static bool Lists(string resolved, string objectKind) =>
        Matches(objectKind, resolved) || (resolved == JobKind && objectKind == ApiJobKind);

    public const string JobKind = Core.Model.Job.KindName;
    public const string ApiJobKind = Core.Model.Job.ImperativeKind;

    public static bool Matches(string kind, string typed) =>
        typed.Equals(kind, StringComparison.OrdinalIgnoreCase) || typed.Equals(Plural(kind), StringComparison.OrdinalIgnoreCase);

    /// <summary>servicegroups, composeprojects, cronjobs, gitrepositories: the lower-case plural of the API's paths and kubectl's names.</summary>
    public static string Plural(string kind) => kind.EndsWith('y') ? kind.ToLowerInvariant()[..^1] + "ies" : kind.ToLowerInvariant() + "s";

    /// <summary>"servicegroup/core" into its kind as typed and name.</summary>
    public static (string Kind, string Name)? SplitReference(string reference)
    {
        var slash = reference.IndexOf('/');
        return slash > 0 && slash < reference.Length - 1 ? (reference[..slash], reference[(slash + 1)..]) : null;
    }
}
