using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>
/// The removals the mass-prune guard holds, kept in the state dir (<c>prune-held.json</c>) so that a hold outlives a
/// restart: an agent killed while the folder was half restored must not prune the rest at its next start.
/// </summary>
public sealed class PruneHolds(string stateDir, ILogger logger)
{
    public const string FileName = "prune-held.json";

    public string File { get; } = Path.Combine(stateDir, FileName);

    /// <summary>What the last run held; a torn file is moved aside and reads as nothing held (the guard's share still
    /// applies). Inside <see cref="StateFile.LookOnly"/> (agent diff) a torn file is left in place.</summary>
    public HashSet<ObjectKey> Load() => Parse(StateFile.ReadJson<List<string>>(File, logger));

    /// <summary>Keeps <paramref name="held"/>; a state dir that cannot take it is logged, the hold stands in memory.</summary>
    public void Save(IReadOnlySet<ObjectKey> held) =>
        StateFile.WriteJsonOrWarn(File, held.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList(), logger,
            "the held removals stay held while the agent runs");

    private static HashSet<ObjectKey> Parse(List<string>? keys) =>
        (keys ?? []).Select(k => ObjectKey.TryParse(k, out var key) ? key : (ObjectKey?)null).OfType<ObjectKey>().ToHashSet();
}
