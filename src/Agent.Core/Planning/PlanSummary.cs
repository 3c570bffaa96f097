namespace Agent.Core.Planning;

/// <summary>One line of `agent diff`: what happens to one container, network or volume, and why.</summary>
public sealed record Change(string Verb, string Resource, string Cause)
{
    /// <summary>For a recreate: the fields that changed (`~ image: a -> b`, `- env.X: 1`, `+ env.X: 2`), when known.</summary>
    public IReadOnlyList<string> Fields { get; init; } = [];

    public override string ToString() => $"{Verb,-9} {Resource}: {Cause}";
}

/// <summary>Folds a plan into per-resource changes, the way a person reads them: a stop, remove and create of one replica is a "recreate".</summary>
public static class PlanSummary
{
    public static IReadOnlyList<Change> Describe(Plan plan)
    {
        var changes = new List<Change>();
        var recreated = plan.Operations
            .Where(o => o.Kind == OperationKind.CreateContainer && o.Cause.StartsWith("spec changed", StringComparison.Ordinal))
            .ToDictionary(o => Canonical(o.Target!), o => o.Cause);
        var removed = plan.Operations.Where(o => o.Kind == OperationKind.RemoveContainer).Select(o => o.ResourceId).ToHashSet(StringComparer.Ordinal);
        foreach (var op in plan.Operations)
        {
            var name = op.ResourceId[(op.ResourceId.IndexOf(':') + 1)..];
            switch (op.Kind)
            {
                case OperationKind.CreateContainer:
                    var canonical = Canonical(op.Target!);
                    changes.Add(recreated.ContainsKey(canonical)
                        ? new Change("recreate", canonical, op.Cause) { Fields = op.Spec is null ? [] : SpecDiff.Between(op.PreviousSpec, op.Spec) }
                        : new Change("create", op.Target!, op.Cause));
                    break;
                case OperationKind.StopContainer or OperationKind.RemoveContainer or OperationKind.RenameContainer
                    when recreated.ContainsKey(Canonical(name)) || op.NewName is { } newName && recreated.ContainsKey(newName):
                    break; // part of a recreate
                case OperationKind.RenameContainer when recreated.ContainsKey(Canonical(op.NewName ?? "")) || recreated.ContainsKey(Canonical(op.Target ?? "")):
                    break; // a start-first update's new container taking the name: part of the recreate, not a rename the user made
                case OperationKind.StopContainer when removed.Contains(op.ResourceId):
                    break; // a graceful stop before a remove
                case OperationKind.StartContainer when op.ResourceId.StartsWith("container:", StringComparison.Ordinal):
                    changes.Add(new Change("start", name, op.Cause));
                    break;
                case OperationKind.StopContainer:
                    changes.Add(new Change("stop", name, op.Cause));
                    break;
                case OperationKind.RestartContainer:
                    changes.Add(new Change("restart", name, op.Cause));
                    break;
                case OperationKind.RemoveContainer:
                    changes.Add(new Change("remove", name, op.Cause));
                    break;
                case OperationKind.RenameContainer:
                    changes.Add(new Change("rename", op.ResourceId.StartsWith("container:", StringComparison.Ordinal) ? name : op.NewName ?? name, op.Cause));
                    break;
                case OperationKind.BuildImage:
                    changes.Add(new Change("build", op.ResourceId, op.Cause + ", unless an image of it is already there"));
                    break;
                case OperationKind.CreateNetwork or OperationKind.CreateVolume:
                    changes.Add(new Change("create", op.ResourceId, op.Cause));
                    break;
                case OperationKind.RemoveNetwork or OperationKind.RemoveVolume:
                    changes.Add(new Change("remove", op.ResourceId, op.Cause));
                    break;
            }
        }
        return changes;
    }

    // A start-first update creates "name-next" first; it ends up as "name".
    private static string Canonical(string name) =>
        name.EndsWith("-next", StringComparison.Ordinal) ? name[..^5] : name.EndsWith("-prev", StringComparison.Ordinal) ? name[..^5] : name;
}
