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
public sealed class PruneHolds(string stateDir, ILogger logger, UnsavedRecords? unsaved = null)
{
    public const string FileName = "prune-held.json";
    public const string ConfirmedFileName = "prune-confirmed.json";
    public const string ReserveFileName = ".prune-held.reserve";

    private const string Meanwhile = "the held removals stay held while the agent runs, but a restart of the agent before it is saved forgets the hold " +
                                     "(free space in the state dir)";

    public string File { get; } = Path.Combine(stateDir, FileName);

    public string ConfirmedFile { get; } = Path.Combine(stateDir, ConfirmedFileName);

    // probe-31 F11: a hold that could not be written on a full state dir was forgotten by a restart, which then pruned it.
    private readonly StateReserve reserve = new(Path.Combine(stateDir, ReserveFileName));
    private readonly Lock writes = new(); // a retry (UnsavedRecords' timer) and the guard's judgement write the same file
    private List<string> pending = [];

    /// <summary>What the last run held and confirmed; a torn file is moved aside and reads as nothing (the guard's share
    /// still applies: a torn confirmation is held again, never pruned on a guess). Inside <see cref="StateFile.LookOnly"/>
    /// (agent diff) a torn file is left in place.</summary>
    public PruneRecord Load() =>
        new(Parse(StateFile.ReadJson<List<string>>(File, logger)), Parse(StateFile.ReadJson<List<string>>(ConfirmedFile, logger)));

    /// <summary>Keeps room back for the hold (<see cref="StateReserve"/>), when it is missing and there is room.</summary>
    public void KeepReserve() => reserve.Keep();

    /// <summary>Keeps <paramref name="held"/>. A full state dir gives up the reserve for it; one that still cannot take it
    /// is logged and named by /readyz (<see cref="UnsavedRecords"/>), the hold stands in memory and is written again until
    /// it lands.</summary>
    public void Save(IReadOnlySet<ObjectKey> held)
    {
        lock (writes)
        {
            pending = Sorted(held);
            Write();
        }
    }

    /// <summary>Why the hold is not saved now, or null when it is.</summary>
    public string? Unsaved => unsaved?.Problem(File);

    private void Write()
    {
        try
        {
            try
            {
                StateFile.WriteJson(File, pending);
            }
            catch (StateWriteException e) when (reserve.Release(e))
            {
                logger.LogWarning("The state dir is full: the room kept back for {File} is used for it", File);
                StateFile.WriteJson(File, pending);
            }
            unsaved?.Saved(File);
            reserve.Keep();
        }
        catch (StateWriteException e)
        {
            if (unsaved is null) logger.LogWarning("{File} cannot be written ({Error}); {Meanwhile}", File, e.Message, Meanwhile);
            else unsaved.Failed(File, e, Meanwhile, () => { lock (writes) Write(); });
        }
    }

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
