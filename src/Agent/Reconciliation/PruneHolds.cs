using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>What the mass-prune guard held last, and what an admin confirmed.</summary>
public sealed record PruneRecord(HashSet<ObjectKey> Held, HashSet<ObjectKey> Confirmed)
{
    /// <summary>A removal both held and confirmed (the agent stopped between the two writes of a confirmation) is confirmed.</summary>
    public HashSet<ObjectKey> StillHeld => Held.Except(Confirmed).ToHashSet();
}

/// <summary>
/// The removals the mass-prune guard holds (<c>prune-held.json</c>) and those an admin confirmed (<c>prune-confirmed.json</c>),
/// kept in the state dir so that both outlive a restart: an agent killed while the folder was half restored must not prune
/// the rest at its next start, and one killed in the middle of a confirmed prune finishes it at its next start instead of
/// holding it again with some replicas already stopped (probe-15j M6).
/// </summary>
public sealed class PruneHolds(string stateDir, ILogger logger)
{
    public const string FileName = "prune-held.json";
    public const string ConfirmedFileName = "prune-confirmed.json";

    public string File { get; } = Path.Combine(stateDir, FileName);

    public string ConfirmedFile { get; } = Path.Combine(stateDir, ConfirmedFileName);

    /// <summary>What the last run held and confirmed; a torn file is moved aside and reads as nothing (the guard's share
    /// still applies: a torn confirmation is held again, never pruned on a guess). Inside <see cref="StateFile.LookOnly"/>
    /// (agent diff) a torn file is left in place.</summary>
    public PruneRecord Load() =>
        new(Parse(StateFile.ReadJson<List<string>>(File, logger)), Parse(StateFile.ReadJson<List<string>>(ConfirmedFile, logger)));

    /// <summary>Keeps <paramref name="held"/>; a state dir that cannot take it is logged, the hold stands in memory.</summary>
    public void Save(IReadOnlySet<ObjectKey> held) => StateFile.WriteJsonOrWarn(File, Sorted(held), logger, "the held removals stay held while the agent runs");

    /// <summary>Keeps the confirmed removals before any of them is acted on: throws <see cref="StateWriteException"/>
    /// (nothing confirmed) when the state dir cannot take them.</summary>
    public void SaveConfirmed(IReadOnlySet<ObjectKey> confirmed) => StateFile.WriteJson(ConfirmedFile, Sorted(confirmed));

    /// <summary>Drops confirmations that lapsed; one that cannot be written is logged (it lapses again at the next start).</summary>
    public void TrySaveConfirmed(IReadOnlySet<ObjectKey> confirmed) =>
        StateFile.WriteJsonOrWarn(ConfirmedFile, Sorted(confirmed), logger, "the lapsed confirmations lapse again at the next start");

    private static List<string> Sorted(IReadOnlySet<ObjectKey> keys) => keys.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList();

    private static HashSet<ObjectKey> Parse(List<string>? keys) =>
        (keys ?? []).Select(k => ObjectKey.TryParse(k, out var key) ? key : (ObjectKey?)null).OfType<ObjectKey>().ToHashSet();
}
