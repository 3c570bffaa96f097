namespace Agent.Http;

/// <summary>When a ComposeProject's stop or start (docker compose stop/start) does not apply: while the project is down
/// (agent down, or suspend: true in its manifest) it has no containers to stop or start, as with docker compose.</summary>
public static class ComposeStopRules
{
    /// <summary>Why <paramref name="verb"/> ("stop" or "start") is refused for project <paramref name="name"/>, naming the
    /// verb that applies; null when it applies.</summary>
    public static string? Refusal(string verb, string name, bool down, bool specSuspend)
    {
        var shown = $"composeproject/{name}";
        if (specSuspend)
            return $"ComposeProject \"{name}\" has suspend: true in its manifest, which keeps it down (no containers to {verb}); " +
                   "remove suspend from the manifest to bring it up";
        if (!down) return null;
        return verb == "start"
            ? $"ComposeProject \"{name}\" is down (agent down): it has no containers to start; bring it up with agent up {shown} (POST /api/v1/composeprojects/{name}/up)"
            : $"ComposeProject \"{name}\" is down (agent down): its containers are removed already, nothing to stop; agent up {shown} brings it up";
    }
}
