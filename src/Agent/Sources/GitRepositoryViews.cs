using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.Sources;

/// <summary>How a GitRepository is shown when its own manifest is broken, or an object it brought cannot be applied. Pure: the sync keeps the last good spec running
/// (nothing is pruned), and this says so where people look (get, describe, the API), not only in the log.</summary>
public static class GitRepositoryViews
{
    /// <summary>The status with the manifest's generation; while the manifest does not load, Ready=False and Stalled=True
    /// with its reason (InvalidManifest, ManifestUnreadable) and first error since it broke, and its errors listed first.</summary>
    public static GitRepositoryStatus WithManifest(GitRepositoryStatus status, DesiredEntry? entry)
    {
        if (entry is null) return status;
        status = status with { Generation = entry.Generation };
        if (!entry.IsBroken) return status;
        var since = entry.BrokenSince ?? status.Since;
        var first = entry.Errors[0].ToString();
        var conditions = Conditions.Set(status.Conditions, ConditionTypes.Ready, false, entry.HeldReason,
            $"the manifest does not load: {first}; the last good spec (the URL, ref and path shown) stays in effect and nothing is pruned", since);
        conditions = Conditions.Set(conditions, SourceConditions.Stalled, true, entry.HeldReason, first, since);
        return status with
        {
            Conditions = conditions,
            ManifestErrors = [.. entry.Errors.Select(e => e.ToString()), .. status.ManifestErrors],
            Events = WithBrokenEvent(status.Events, entry, since),
        };
    }

    /// <summary>The Warning event of a broken manifest: the sync records it on its next pass, and until then it is shown
    /// here, so the condition and the event never disagree in one answer.</summary>
    public static ObjectEvent BrokenEvent(DesiredEntry entry, DateTimeOffset time) =>
        new(time, "Warning", entry.HeldReason, $"{entry.Errors[0]}; the last good spec stays in effect");

    private static IReadOnlyList<ObjectEvent> WithBrokenEvent(IReadOnlyList<ObjectEvent> events, DesiredEntry entry, DateTimeOffset since)
    {
        var broken = BrokenEvent(entry, since);
        return events.Any(e => e.Reason == broken.Reason && e.Message == broken.Message && e.Time >= since)
            ? events
            : ObjectEvents.Append(events, broken);
    }

    /// <summary>A GitRepository whose manifest never loaded (no last good spec): listed as itself, Ready=False with why.</summary>
    public static ObjectStatus Unloaded(DesiredEntry entry)
    {
        var since = entry.BrokenSince ?? DateTimeOffset.UnixEpoch;
        var first = entry.Errors[0];
        return new ObjectStatus
        {
            Kind = GitRepository.KindName,
            Name = entry.Key.Name,
            Source = $"{first.File}:{first.Line}:{first.Column}",
            Conditions =
            [
                new Condition(ConditionTypes.Ready, "False", entry.HeldReason, $"the manifest does not load: {first}; nothing is fetched", since),
                new Condition(SourceConditions.Stalled, "True", entry.HeldReason, first.ToString(), since),
            ],
            ManifestErrors = entry.Errors.Select(e => e.ToString()).ToList(),
        };
    }

    /// <summary>
    /// A revision checked out while the manifests folder cannot be read is not applied: the store reads nothing (every
    /// object keeps its last good state), so the repository shows the revision the last complete read applied and
    /// Ready=False with reason SourceUnavailable until a read takes the new one in. A failure the sync reported stays shown.
    /// </summary>
    public static GitRepositoryStatus WithSource(GitRepositoryStatus status, string? sourceError, DateTimeOffset since, string? readRevision)
    {
        if (sourceError is null || status.LastAppliedRevision is not { } checkedOut || checkedOut == readRevision) return status;
        status = status with { LastAppliedRevision = readRevision };
        if (status.Condition(SourceConditions.Ready) is not { Status: "True" }) return status;
        var kept = readRevision is null ? "nothing of this repository is applied" : $"{readRevision} stays applied";
        var message = $"revision {checkedOut} is checked out but not applied: {sourceError}; {kept} and the last good state is kept";
        return status with { Conditions = Conditions.Set(status.Conditions, SourceConditions.Ready, false, SourceUnavailable, message, since) };
    }

    public const string SourceUnavailable = "SourceUnavailable";

    /// <summary>
    /// A revision is applied only when its objects are, as a Flux Kustomization is Ready only when its apply succeeded:
    /// while an object the repository brought cannot be applied (its Ready is ApplyFailed, e.g. a container the engine
    /// refuses, or NameConflict), Ready is False with reason ApplyFailed, naming them and the first one's error; then
    /// objects whose update was rolled back (RolledBack), then objects the revision no longer has whose removal the
    /// mass-prune guard holds (PruneBlocked: the revision is not applied until an admin confirms or the files are back).
    /// The sync itself succeeded: Stalled stays False and nothing is fetched again for it; the objects retry on their own.
    /// </summary>
    public static GitRepositoryStatus WithObjects(GitRepositoryStatus status, IReadOnlyList<ObjectStatus> objects)
    {
        if (status.Condition(SourceConditions.Ready) is not { Status: "True" }) return status;
        var prefix = GitDocuments.Prefix(status.Name);
        var ours = objects.Where(o => o.Source?.StartsWith(prefix, StringComparison.Ordinal) == true).OrderBy(o => o.Source, StringComparer.Ordinal).ToList();
        List<(ObjectStatus Object, Condition Why)> With(string type, Func<Condition, bool> holds) =>
            ours.Where(o => o.Condition(type) is { } c && holds(c)).Select(o => (o, o.Condition(type)!)).ToList();
        var revision = status.LastAppliedRevision;
        var shown = new (string Reason, List<(ObjectStatus Object, Condition Why)> Listed, Func<int, string> What)[]
        {
            ("ApplyFailed", With(ConditionTypes.Ready, c => c is { Status: "False", Reason: "ApplyFailed" or GroupConditions.NameConflict }),
                n => $"{n} object(s) of it cannot be applied"),
            // An update rolled back runs the previous spec (probe-13d D7), as a Flux Kustomization whose objects fail their
            // health checks is Ready=False.
            (Core.Planning.Hold.RolledBack, With(ConditionTypes.Degraded, c => c is { Status: "True", Reason: Core.Planning.Hold.RolledBack }),
                n => $"{n} object(s) of it were rolled back and run the previous spec"),
            // Removals held for an admin (probe-13d D3): the objects still run although the revision no longer has them.
            (ConditionTypes.PruneBlocked, With(ConditionTypes.PruneBlocked, c => c.Status == "True"),
                n => $"the removal of {n} object(s) it no longer has is held by the mass-prune guard"),
        }.FirstOrDefault(s => s.Listed.Count > 0);
        if (shown.Listed is not { } listed) return status;
        var (first, why) = listed[0];
        var names = string.Join(", ", listed.Take(5).Select(o => $"{o.Object.Kind}/{o.Object.Name}")) + (listed.Count > 5 ? $" and {listed.Count - 5} more" : "");
        var message = $"revision {revision} is checked out, but {shown.What(listed.Count)}: {names}; {first.Kind}/{first.Name} ({first.Source}): {why.Message}";
        var since = listed.Max(o => o.Why.LastTransitionTime);
        return status with { Conditions = Conditions.Set(status.Conditions, SourceConditions.Ready, false, shown.Reason, message, since) };
    }

    /// <summary>Every GitRepository of the manifests as GET /api/v1/objects lists it: those that run (a broken one at its
    /// last good spec) and those whose manifest never loaded.</summary>
    public static IEnumerable<ObjectStatus> Objects(ManifestStore manifests, GitRepositoryStatusStore status, IReadOnlyList<ObjectStatus> objects) =>
        manifests.Repositories.Select(r => status.ObjectOf(r, manifests, objects))
            .Concat(manifests.All().Where(e => e.Key.Kind == GitRepository.KindName && e is { IsBroken: true, Object: null })
                .OrderBy(e => e.Key.Name, StringComparer.Ordinal).Select(Unloaded));

    public static ObjectKey Key(GitRepository repo) => new(GitRepository.KindName, repo.Metadata.Name);
}
