namespace Agent.Core.Planning;

/// <summary>
/// A prune stopped half-way because the object's manifest came back (a file deleted and written back while its prune
/// ran): the containers it stopped but had not removed yet are started again, so what is desired again keeps running
/// instead of waiting stopped for a recreate. What it already removed is recreated by the next reconcile.
/// </summary>
public static class PruneUndo
{
    public static Plan Plan(Plan prune, IReadOnlySet<int> completed, IReadOnlySet<int> abandoned)
    {
        var plan = new PlanBuilder();
        foreach (var stop in prune.Operations.Where(o => o.Kind == OperationKind.StopContainer && completed.Contains(o.Id)))
        {
            var remove = prune.Operations.FirstOrDefault(o => o.Kind == OperationKind.RemoveContainer && o.After.Contains(stop.Id) && o.Target == stop.Target);
            if (remove is null || !abandoned.Contains(remove.Id)) continue;
            plan.Add(OperationKind.StartContainer, stop.ResourceId, "the manifest is back: its prune was abandoned", [], stop.Target);
        }
        return plan.Build();
    }
}
