namespace Agent.Core.Model;

public enum Phase { Foundation = 0, Core = 1, Application = 2, Support = 3 }

public sealed record ObjectMetadata(
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations);

/// <summary>Where a manifest object was read from, for error messages and status.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>The key of a desired object: its kind and name, like a Kubernetes object reference.</summary>
public readonly record struct ObjectKey(string Kind, string Name)
{
    public override string ToString() => $"{Kind}/{Name}";

    public static bool TryParse(string text, out ObjectKey key)
    {
        var slash = text.IndexOf('/');
        key = slash > 0 ? new ObjectKey(text[..slash], text[(slash + 1)..]) : default;
        return slash > 0 && slash < text.Length - 1;
    }
}

public sealed record ServiceGroupSpec
{
    public Phase Phase { get; init; } = Phase.Application;
    public IReadOnlyList<string> DependsOn { get; init; } = [];
    public bool Suspend { get; init; }
    public bool Prune { get; init; } = true;
    /// <summary>Opt-in: also remove the group's named volumes when the group is pruned.</summary>
    public bool PruneVolumes { get; init; }
    public IReadOnlyList<ServiceSpec> Services { get; init; } = [];
    /// <summary>Named volumes by short name: declared under spec.volumes or used by a service.</summary>
    public IReadOnlyDictionary<string, VolumeSpec> Volumes { get; init; } = new SortedDictionary<string, VolumeSpec>(StringComparer.Ordinal);

    /// <summary>Networks by short name ("default", "back"...), as a compose project declares and uses them; empty for a
    /// group, which has its default network only.</summary>
    public IReadOnlyDictionary<string, NetworkSpec> Networks { get; init; } = new SortedDictionary<string, NetworkSpec>(StringComparer.Ordinal);
}

/// <summary>A named volume; <see cref="Name"/> is the engine's name ({group}_{volume}, or the external volume's own name).</summary>
public sealed record VolumeSpec(string Name, string Driver, IReadOnlyDictionary<string, string> DriverOptions)
{
    /// <summary>The volume's own labels (compose's volumes.x.labels), beside the agent's and Compose's.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Map;

    /// <summary>Made by someone else and only mounted (compose's `external: true`): never created nor removed by the agent,
    /// and mounted only when Agent:Security:AllowedExternalVolumes allows its name.</summary>
    public bool External { get; init; }
}

/// <summary>A loaded, validated ServiceGroup manifest.</summary>
/// <summary>A loaded, validated ServiceGroup manifest, or a compose project compiled into the same model
/// (<see cref="Compose"/> set): both go through the same planner and executor.</summary>
public sealed record ServiceGroup(ObjectMetadata Metadata, ServiceGroupSpec Spec, SourceLocation Source) : Manifests.IManifestObject
{
    public const string KindName = "ServiceGroup";
    public const string ComposeKindName = "ComposeProject";

    /// <summary>Set for a ComposeProject: where its files are, for Compose's labels.</summary>
    public ComposeOrigin? Compose { get; init; }

    public string Kind => Compose is null ? KindName : ComposeKindName;
    public ObjectKey Key => new(Kind, Metadata.Name);
}

/// <summary>A compose project's working directory and files (absolute host paths), as Compose labels them.</summary>
public sealed record ComposeOrigin(string WorkingDir, IReadOnlyList<string> ConfigFiles, bool Adopt = false)
{
    /// <summary>Every file the load read or would read (env files for interpolation such as a hidden <c>.env</c>, env_file,
    /// includes, extends), absolute: watched so that an edit the manifests folder's read skips still reloads the project.</summary>
    public IReadOnlyList<string> InputFiles { get; init; } = [];

    /// <summary>Variables the files use without a default that are not set: each reads as a blank string (docker compose
    /// warns of each); the agent warns once per load that names them.</summary>
    public IReadOnlyList<string> UnsetVariables { get; init; } = [];
}
