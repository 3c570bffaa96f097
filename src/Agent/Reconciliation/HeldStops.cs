using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// A container the agent stops stays stopped until the agent starts it, also across the engine's own restart (probe-33
/// F1): dockerd starts again, at its start, every container whose restart policy is "always", and "on-failure" ones whose
/// last exit failed (a stop's SIGTERM or SIGKILL is one), even those stopped with <c>docker stop</c>. A stopped group
/// then ran again, all at once, before the agent stopped it again. So each of the agent's stops first sets the
/// container's engine policy to "no", and each start of an existing container first puts back the policy its spec
/// (the applied-spec label) names.
/// </summary>
public static class HeldStops
{
    public static async Task StopAndHoldAsync(this IContainerEngine engine, string id, TimeSpan? grace, CancellationToken ct)
    {
        try
        {
            await engine.SetRestartPolicyAsync(id, RestartPolicy.No, ct);
        }
        catch (EngineException) when (!ct.IsCancellationRequested)
        {
            // The stop goes on: one the engine cannot update (gone, removal under way) fails or lands there, as before.
        }
        await engine.StopContainerAsync(id, grace, ct);
    }

    /// <summary>Before a start of <paramref name="before"/> (inspected): its spec's restart policy, where a stop set "no".</summary>
    public static async Task RestoreRestartPolicyAsync(this IContainerEngine engine, ContainerDetails before, string specLabel, CancellationToken ct)
    {
        if (SpecDiff.Parse(before.Labels.GetValueOrDefault(specLabel))?.Restart is not { } wanted || wanted == before.RestartPolicy) return;
        try
        {
            await engine.SetRestartPolicyAsync(before.Id, wanted, ct);
        }
        catch (EngineException) when (!ct.IsCancellationRequested)
        {
            // Started all the same: the agent itself brings back what exits; the policy is put back at its next start.
        }
    }
}
