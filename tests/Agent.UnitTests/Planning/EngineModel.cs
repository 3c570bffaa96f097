using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

/// <summary>
/// A tiny model of the engine for planner tests: runs a plan's operations in order against a list of containers, with the
/// engine's rules that matter here (a name is unique; a rename or create onto a taken name fails), and a health outcome
/// for containers of the new spec, or a start of one that fails (<paramref name="newSpecStarts"/> false: its host port is
/// held). It lets a test stop a plan after any operation, as a kill -9 of the agent would.
/// </summary>
internal sealed class EngineModel(AgentLabels labels, string desiredHash, HealthState newSpecHealth, bool newSpecStarts = true)
{
    private int nextId;

    public List<ObservedContainer> Containers { get; } = [];

    public HashSet<string> RolledBack { get; } = [];

    public ObservedState Observed => new(Containers.ToList(), [new ObservedNetwork("net-g", "g_default")], new HashSet<string>());

    /// <summary>Runs the plan's first <paramref name="count"/> operations (all by default), in id order, as the executor may.</summary>
    public void Run(Plan plan, int count = int.MaxValue)
    {
        var failed = new HashSet<int>();
        foreach (var op in plan.Operations.Take(count))
        {
            if (op.After.Any(failed.Contains))
            {
                failed.Add(op.Id);
                continue;
            }
            if (Apply(op)) continue;
            failed.Add(op.Id);
            foreach (var compensation in op.OnFailure) Apply(compensation);
            if (op.RollbackOf is { } rollback) RolledBack.Add(rollback);
        }
    }

    /// <summary>The engine stops: every container exits (and comes back only if the agent starts it).</summary>
    public void StopEverything()
    {
        for (var i = 0; i < Containers.Count; i++)
            if (Containers[i].IsRunning) Containers[i] = Containers[i] with { State = ContainerState.Exited, Health = HealthState.None, ExitCode = 143 };
    }

    private ObservedContainer? Find(string target) => Containers.FirstOrDefault(c => c.Id == target) ?? Containers.FirstOrDefault(c => c.Name == target);

    private void Replace(ObservedContainer c, ObservedContainer updated) => Containers[Containers.IndexOf(c)] = updated;

    private bool Apply(Operation op)
    {
        var target = op.Target!;
        switch (op.Kind)
        {
            case OperationKind.CreateContainer:
                if (Find(target) is not null) return false; // 409: the name is taken
                var l = op.Labels!;
                Containers.Add(new ObservedContainer($"c{++nextId}", target, l[labels.Service], int.Parse(l[labels.Replica]), l[labels.SpecHash],
                    ContainerState.Created, HealthState.None)
                {
                    UpdateFrom = l.GetValueOrDefault(labels.UpdateFrom),
                });
                return true;
            case OperationKind.StartContainer or OperationKind.RestartContainer:
                if (Find(target) is not { } started || (started.SpecHash == desiredHash && !newSpecStarts)) return false;
                var health = started.SpecHash == desiredHash ? newSpecHealth : HealthState.Healthy;
                Replace(started, started with { State = ContainerState.Running, Health = health });
                return true;
            case OperationKind.StopContainer:
                if (Find(target) is not { } stopped) return false;
                Replace(stopped, stopped with { State = ContainerState.Exited, Health = HealthState.None, ExitCode = 137 });
                return true;
            case OperationKind.RemoveContainer:
                if (Find(target) is { } removed) Containers.Remove(removed);
                return true;
            case OperationKind.RenameContainer:
                if (Find(target) is not { } renamed || Containers.Any(c => c.Name == op.NewName && c != renamed) || string.IsNullOrEmpty(op.NewName)) return false;
                Replace(renamed, renamed with { Name = op.NewName });
                return true;
            case OperationKind.WaitHealthy:
                return Find(target) is { State: ContainerState.Running, Health: HealthState.Healthy or HealthState.None };
            default:
                return true;
        }
    }
}
