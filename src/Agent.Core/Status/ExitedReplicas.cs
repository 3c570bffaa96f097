using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.Core.Status;

/// <summary>A replica whose container exited and that nothing will start again (probe-18 F8): its restart policy leaves
/// it so, as Docker and Compose do. <see cref="Completed"/>: it exited 0 (a one-shot that ran to its end).</summary>
public sealed record ExitedReplica(string Name, int? ExitCode, bool Completed, bool WithEngine, string Why);

/// <summary>
/// Which exited containers stay exited by their restart policy, the planner's rule seen from status: restart "no" leaves
/// any exit; "on-failure" leaves an exit 0, and a failure once its retries are spent; "always" and "unless-stopped" start
/// it again, so nothing is final. A user's stop is not counted here (status says "Stopped by user"), nor a container that
/// waits out a crash back-off or was never started.
/// </summary>
public static class ExitedReplicas
{
    public static ExitedReplica? Of(ObservedContainer c, RestartPolicy restart)
    {
        if (c.State is not (ContainerState.Exited or ContainerState.Dead) || c.StoppedByUser is not null) return null;
        var gaveUp = restart is { Mode: RestartMode.OnFailure, MaxRetries: > 0 } && c.ExitCode is not 0 && c.Failures > restart.MaxRetries;
        var left = restart.Mode switch
        {
            RestartMode.No => true,
            RestartMode.OnFailure => c.ExitCode is 0 || gaveUp,
            _ => false,
        };
        if (!left) return null;
        var policy = Describe(restart);
        if (c.StoppedWithEngine)
            return new(c.Name, c.ExitCode, false, true, $"{c.Name} exited when the engine stopped and restart: {policy} leaves it so");
        if (gaveUp)
            return new(c.Name, c.ExitCode, false, false, $"{c.Name} failed {c.Failures} times (last exit code {c.ExitCode}) and restart: {policy} gave up");
        return c.ExitCode is 0
            ? new(c.Name, 0, true, false, $"{c.Name} completed (exit code 0) and restart: {policy} leaves it so")
            : new(c.Name, c.ExitCode, false, false, $"{c.Name} exited{(c.ExitCode is { } code ? $" with code {code}" : "")} and restart: {policy} leaves it so");
    }

    /// <summary>The exited replicas of <paramref name="containers"/> their restart policies leave so, by name.</summary>
    public static IReadOnlyList<ExitedReplica> Of(IEnumerable<ObservedContainer> containers, Func<ObservedContainer, RestartPolicy?> restartOf) =>
        containers.Select(c => restartOf(c) is { } p ? Of(c, p) : null).OfType<ExitedReplica>().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();

    /// <summary>"start it again" for this kind: `agent up composeproject/NAME` or `agent start servicegroup/NAME`.</summary>
    public static string StartCommand(ObjectKey key) =>
        key.Kind == ServiceGroup.ComposeKindName ? $"agent up composeproject/{key.Name}" : $"agent start servicegroup/{key.Name}";

    private static string Describe(RestartPolicy p) => p.Mode switch
    {
        RestartMode.Always => "always",
        RestartMode.UnlessStopped => "unless-stopped",
        RestartMode.OnFailure => p.MaxRetries > 0 ? $"on-failure:{p.MaxRetries}" : "on-failure",
        _ => "no",
    };
}
