using Agent.Core.Manifests;
using Agent.Engine;
using Agent.Tasks;

namespace Agent.Http;

// The HTTP API's small answers as named records (source-generated JSON, registered in AgentJsonContext): their JSON names
// are those of the anonymous objects they replace; a null member is left out (ApiJson: WhenWritingNull).

/// <summary>An action on a container or network: {id, name, result}.</summary>
public sealed record ResourceActed(string Id, string Name, string Result);

public sealed record VolumeRemoved(string Name, string Result);

/// <summary>What a prune left and why.</summary>
public sealed record KeptResource(string Name, string Reason);

/// <summary>A prune of networks (no spaceReclaimed) or volumes.</summary>
public sealed record Pruned(IReadOnlyList<string> Removed, IReadOnlyList<KeptResource> Kept, long? SpaceReclaimed);

public sealed record NetworkConnection(string Network, string Container, string Result);

public sealed record FileDeleted(string Path, bool Deleted, FileType Type);

public sealed record GitSyncAnswer(string Gitrepository, string? Provider = null, string? Sync = null, string? Ignored = null, string? Suspended = null);

public sealed record GroupRestarted(string Group, IEnumerable<string> Restarted)
{
    /// <summary>True when the object is stopped or down: only running containers were restarted (none, usually).</summary>
    public bool? Suspended { get; init; }

    /// <summary>True when it is its manifest's spec.suspend that holds it (agent start does not lift that one).</summary>
    public bool? SpecSuspended { get; init; }

    /// <summary>True when the object is a ComposeProject taken down (agent up brings it up; agent start is refused).</summary>
    public bool? Down { get; init; }
}

/// <summary>A compose project's stop?service=S: the containers of S stopped by this request (user stops, kept until started).</summary>
public sealed record ServiceStopped(string Group, string Service, IReadOnlyList<string> Stopped)
{
    /// <summary>True for stop?service=S&amp;wait=false: the stops are recorded and requested, <see cref="Stopped"/> are still stopping.</summary>
    public bool? Requested { get; init; }
}

public sealed record GroupSuspended(string Group, bool Suspended, bool? VolumesRemoved)
{
    /// <summary>start/up: the containers started (or unpaused) by this request; null for stop/down.</summary>
    public IReadOnlyList<string>? Started { get; init; }

    /// <summary>start/up: whether the object was stopped or down through the API before (its containers are then made or
    /// started by the agent, after this answer); null for stop/down.</summary>
    public bool? WasSuspended { get; init; }

    /// <summary>start/up: true when spec.suspend keeps the object stopped whatever the API says.</summary>
    public bool? SpecSuspended { get; init; }
}

public sealed record CronJobAnswer(string Cronjob, bool? Triggered = null, bool? Suspended = null);

public sealed record JobCreated(string Id, string? Phase, int? ExitCode = null, string? Reason = null, Jobs.RunView? Run = null);

public sealed record ImageTagged(string Image, string Tagged);

public sealed record ImagePushed(string Pushed, string? Digest);

public sealed record ImagePulled(string Pulled, string? Id);

public sealed record ImagesLoaded(IReadOnlyList<string> Loaded);

public sealed record ImageRemoved(string Image, string Result);

public sealed record RegistryServer(string Server);

public sealed record RegistryLogin(string Server, bool LoggedIn, string Credential);

public sealed record RunCreated(string Id, string Name, string State, IReadOnlyList<Agent.Engine.PublishedPort> Ports, bool Ready);

public sealed record HostUsageView(Usage.HostUsage.Cpu Cpu, Usage.ProcFiles.Memory? Memory, Usage.ProcFiles.Load? Load, Usage.HostUsage.Disk DataRoot);

/// <summary>A token's scope and the object it was refused for, in a 403's extensions.</summary>
public sealed record ScopeView(IReadOnlyList<string>? Phases, IReadOnlyList<string>? Groups);

public sealed record RefusedObject(string Kind, string Name, string? Phase);

/// <summary>One refused field of a request (the security policy).</summary>
public sealed record FieldViolation(string Field, string Message);

/// <summary>One error of a manifest or run request, with where it is.</summary>
public sealed record FieldError(string Field, int Line, int Column, string Message);

// Lines of an application/x-ndjson stream.
public sealed record ErrorLine(string? Error);

public sealed record TaskLine(string Task, TaskState State);

public sealed record StreamLine(string Stream);

public sealed record ResultLine(object? Result);
