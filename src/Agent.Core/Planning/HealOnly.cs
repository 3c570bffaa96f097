namespace Agent.Core.Planning;

/// <summary>
/// The part of a plan that only brings back what the last good spec runs, for an object whose manifest cannot be read
/// now (it does not load, its file or the whole folder cannot be read): a removed replica is created again, an exited or
/// paused one started, a missing network or volume made. Nothing that exists is stopped, replaced, renamed or removed,
/// and nothing is built or adopted: those wait until the manifest reads again. A step runs only when every step it comes
/// after is kept too (a create after the removal of the container it replaces is dropped with it).
/// </summary>
public static class HealOnly
{
    public static Plan Of(Plan plan)
    {
        var kept = new HashSet<int>();
        var operations = new List<Operation>();
        // The plan is ordered: every step comes after the steps it depends on.
        foreach (var op in plan.Operations)
        {
            if (!Heals(op) || !op.After.All(kept.Contains)) continue;
            kept.Add(op.Id);
            operations.Add(op);
        }
        return plan with { Operations = operations, Adopted = [] };
    }

    private static bool Heals(Operation op) => op.Kind switch
    {
        OperationKind.CreateNetwork or OperationKind.CreateVolume or OperationKind.EnsureImage
            or OperationKind.StartContainer or OperationKind.UnpauseContainer or OperationKind.WaitHealthy or OperationKind.WaitCompleted => op.Replaces is null,
        OperationKind.CreateContainer => op.PreviousSpec is null && op.Replaces is null && op.RollbackOf is null,
        _ => false,
    };
}
