namespace Agent.Core.Model;

/// <summary>
/// How a service's image is built (compose's <c>build:</c>, a ServiceGroup service's <c>build:</c>): the classic builder
/// through the Engine API, with <see cref="Context"/> sent as a tar. <see cref="ContextDigest"/> is the hash of what is
/// sent, read at load; it is in the spec hash with everything else here, so an edit in the context rebuilds the image
/// and recreates only the services built from it. The built image is tagged <see cref="ContainerSpec.Image"/>.
/// </summary>
public sealed record BuildSpec
{
    /// <summary>Where an inline Dockerfile is placed in the context sent to the builder.</summary>
    public const string InlineDockerfileName = ".agent-inline.Dockerfile";

    /// <summary>The context folder, absolute, confined at load to the manifests folder or an allowed file root; null for
    /// a ServiceGroup's <see cref="DockerfileInline"/> without a context: the builder then gets the Dockerfile alone.</summary>
    public string? Context { get; init; }

    /// <summary>The Dockerfile's path relative to the context (unused when <see cref="DockerfileInline"/> is set).</summary>
    public string Dockerfile { get; init; } = "Dockerfile";

    public string? DockerfileInline { get; init; }
    public IReadOnlyDictionary<string, string> Args { get; init; } = Empty.Map;

    /// <summary>The <see cref="Args"/> whose values were read from an env file (a compose arg interpolated from
    /// <c>.env</c>): like <see cref="ContainerSpec.SecretEnv"/>, a digest in the applied-spec label and
    /// "(secret changed)" in a diff. Not hashed (the values are).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string> SecretArgs { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    public string? Target { get; init; }

    /// <summary>Labels of the built image (not of the container).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Map;

    public string ContextDigest { get; init; } = "";

    /// <summary>Local images the classic builder may take cached layers from (compose cache_from); null when none, so
    /// builds without it hash as before.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? CacheFrom { get; init; }

    /// <summary>Push the image to its registry after it is built (docker compose build --push). Not hashed: pushing does
    /// not change the image, so turning it on rebuilds and recreates nothing (the next build is pushed).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Push { get; init; }
}
