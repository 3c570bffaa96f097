using Agent.Core.Jobs;

namespace Agent.UnitTests.Jobs;

public sealed class HistoryLossTests
{
    [Theory]
    [InlineData(true, true, 0, HistoryFinding.Kept)]
    [InlineData(true, false, 0, HistoryFinding.Kept)] // a history from before the ledger existed
    [InlineData(false, false, 0, HistoryFinding.NeverRan)] // a new Job, or a fresh state dir
    [InlineData(false, true, 0, HistoryFinding.Lost)] // history deleted whole, containers gone (ttlAfterFinished)
    [InlineData(false, true, 2, HistoryFinding.Rebuilt)]
    [InlineData(false, false, 1, HistoryFinding.Rebuilt)] // a wiped state dir: the labels still tell
    public void A_missing_history_is_lost_only_when_the_ledger_says_the_job_started_and_no_label_remembers_a_run(
        bool historyKept, bool started, int runsInLabels, HistoryFinding expected) =>
        Assert.Equal(expected, HistoryLoss.Judge(historyKept, started, runsInLabels));
}
