using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.Http;

/// <summary>When an operator's start or restart of one container would be undone or would do what the container is not
/// for: a container of a stopped group (the reconciler stops it again, SIGKILL after its grace) and a Job or CronJob run
/// (a start runs its command again, with no run recorded).</summary>
public sealed class StartRules(AgentLabels labels, ManifestStore manifests, RuntimeOverrides overrides)
{
    /// <summary>Why <paramref name="c"/> may not be started through the API; null when it may.</summary>
    public string? Refusal(ContainerDetails c)
    {
        if (!c.Labels.TryGetValue(labels.Kind, out var kind) || !c.Labels.TryGetValue(labels.Object, out var name)) return null;
        if (Job.IsJobKind(kind))
            return $"Container {c.Name} is a run of {kind}/{name}: a run is not started again (its command would run once more with no run recorded). " +
                   (kind == CronJob.KindName ? $"Trigger a new run with POST /api/v1/cronjobs/{name}/trigger"
                       : kind == Job.KindName ? "Apply the Job again by changing its manifest" : "Create a new job with POST /api/v1/jobs");
        if (kind is not (ServiceGroup.KindName or ServiceGroup.ComposeKindName)) return null;
        var key = new ObjectKey(kind, name);
        var down = overrides.IsDown(key); // a compose project only stopped (compose stop) is started like a group
        var resource = kind == ServiceGroup.ComposeKindName ? "composeprojects" : "servicegroups";
        if (overrides.IsSuspended(key))
            return $"{kind}/{name} is {(down ? "down" : "stopped")}: the agent keeps its containers stopped. {(down ? "Bring it up" : "Start it")} first: " +
                   $"agent {(down ? "up" : "start")} {kind.ToLowerInvariant()}/{name} (POST /api/v1/{resource}/{name}/{(down ? "up" : "start")})";
        if (manifests.Get(key)?.Object is ServiceGroup { Spec.Suspend: true })
            return $"{kind}/{name} has suspend: true in its manifest: the agent keeps its containers stopped. Remove suspend from the manifest first";
        return null;
    }

    /// <summary>How to get a stopped container <paramref name="c"/> running, for a verb that needs it running (exec): why
    /// it may not be started alone when so (its group is stopped, it is a job's run), else the verb that starts it.</summary>
    public string StartHint(ContainerDetails c)
    {
        if (Refusal(c) is { } refusal) return refusal;
        return c.Labels.TryGetValue(labels.Kind, out var kind) && c.Labels.TryGetValue(labels.Object, out var name) && kind is ServiceGroup.KindName or ServiceGroup.ComposeKindName
            ? $"Start it first: agent start {kind.ToLowerInvariant()}/{name} (POST /api/v1/containers/{c.Name}/start starts only it)"
            : $"Start it first (POST /api/v1/containers/{c.Name}/start)";
    }
}
