using Agent.Core.Model;

namespace Agent.Status;

/// <summary>The kinds GET /api/v1/objects lists (and filters on with ?kind=), which `agent get KIND` knows also while the
/// server has no object of them: one list for both.</summary>
public static class ListedKinds
{
    public static readonly IReadOnlyList<string> All =
        [ServiceGroup.KindName, ServiceGroup.ComposeKindName, CronJob.KindName, Job.KindName, Job.ImperativeKind, GitRepository.KindName, FileStatuses.Kind];
}
