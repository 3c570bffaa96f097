using Agent.Core.Model;

namespace Agent.Core.Status;

/// <summary>
/// Why a group is held not running, said the same way for both kinds, so that `agent get` tells why READY is 0/N:
/// <see cref="Stopped"/> (agent stop: the containers are kept, stopped, like docker compose stop), <see cref="Down"/>
/// (a ComposeProject's agent down: containers and network removed, like docker compose down) or <see cref="Suspended"/>
/// (suspend: true in the manifest). <see cref="Reason"/> is that of the Suspended condition (True, message
/// <see cref="Why"/>) and of Ready and Progressing (False, Ready's message <see cref="Ready"/>); STATUS shows it.
/// </summary>
public sealed record StopState(string Reason, string Why, string Ready)
{
    public const string Stopped = "Stopped";
    public const string Down = "Down";
    public const string Suspended = "Suspended";

    /// <summary>The hold of <paramref name="key"/>, or null when it runs. The manifest's suspend wins over the API's
    /// record (<paramref name="apiSuspended"/>), which is a down for a ComposeProject brought <paramref name="down"/>
    /// (its named volumes removed too with <paramref name="volumes"/>) and a stop otherwise.</summary>
    public static StopState? Of(ObjectKey key, bool specSuspend, bool apiSuspended, bool down, bool volumes = false)
    {
        var compose = key.Kind == ServiceGroup.ComposeKindName;
        if (specSuspend)
            return new(Suspended, "spec.suspend is true", compose
                ? "suspend: true in its manifest keeps it down (no containers) until it is removed from the manifest"
                : "spec.suspend is true: its containers are stopped until it is removed from the manifest");
        if (!apiSuspended) return null;
        var shown = $"{key.Kind.ToLowerInvariant()}/{key.Name}";
        if (compose && down)
            return new(Down, volumes ? "taken down through the API, with its volumes" : "taken down through the API",
                $"down: its containers and network are removed, {(volumes ? "its named volumes too" : "its volumes kept")}, until agent up {shown}");
        return new(Stopped, "stopped through the API",
            $"stopped: its containers are kept, stopped{(compose ? ", with its network and volumes" : "")}, until agent start {shown}");
    }
}
