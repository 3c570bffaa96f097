namespace Agent.Core.Jobs;

/// <summary>What a Job's history says when the runner first looks at it.</summary>
public enum HistoryFinding
{
    /// <summary>The history is there: the runner works from it.</summary>
    Kept,
    /// <summary>No history and the ledger never recorded a start: the Job never ran, it runs now.</summary>
    NeverRan,
    /// <summary>No history, but its containers' labels name its runs: the history is rebuilt from them.</summary>
    Rebuilt,
    /// <summary>The ledger says it started, yet neither a history nor a labelled container is left (deleted file,
    /// ttlAfterFinished): whether it finished is not known, so it starts no run until the operator says so.</summary>
    Lost,
}

/// <summary>
/// A finished Job (a migration) must never run again on a guess (probe-15i H7). A history file deleted whole looks like
/// "never ran"; the ledger of started Jobs (written by the runner before a Job's first run, and by nothing that only
/// reads or diffs the manifests) tells the two apart.
/// </summary>
public static class HistoryLoss
{
    public static HistoryFinding Judge(bool historyKept, bool ledgerSaysStarted, int runsInLabels) =>
        historyKept ? HistoryFinding.Kept
        : runsInLabels > 0 ? HistoryFinding.Rebuilt
        : ledgerSaysStarted ? HistoryFinding.Lost
        : HistoryFinding.NeverRan;
}
