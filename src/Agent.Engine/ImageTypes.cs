namespace Agent.Engine;

/// <summary>An image as `docker image inspect` shows it, in the agent's terms.</summary>
public sealed record ImageDetails(
    string Id,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Digests,
    DateTimeOffset Created,
    long Size,
    string Os,
    string Architecture,
    string? Author,
    IReadOnlyList<string>? Command,
    IReadOnlyList<string>? Entrypoint,
    IReadOnlyList<string> Env,
    string? WorkingDir,
    string? User,
    IReadOnlyList<string> ExposedPorts,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Layers,
    IReadOnlyList<string>? OnBuild = null);

/// <summary>One layer of `docker image history`: the instruction that made it and its size.</summary>
public sealed record ImageHistoryEntry(string Id, DateTimeOffset Created, string CreatedBy, long Size, IReadOnlyList<string> Tags, string? Comment);

/// <summary>One result of the engine's image search (the registry index it is configured with).</summary>
public sealed record ImageSearchResult(string Name, string? Description, long Stars, bool Official);

/// <summary>One progress line of a pull or push, as the engine reports it per layer.</summary>
public sealed record ImageProgress(string? Id, string Status, string? Progress);

/// <summary>Which images `image prune` may remove: all unused ones (not only dangling), and label/until filters:
/// <see cref="Labels"/> an image must carry (`label=K[=V]`), <see cref="ExcludedLabels"/> it must not (`label!=K[=V]`).</summary>
public sealed record ImagePruneFilter(bool All, IReadOnlyList<string> Labels, string? Until)
{
    public static readonly ImagePruneFilter Dangling = new(false, [], null);

    public IReadOnlyList<string> ExcludedLabels { get; init; } = [];

    /// <summary>Whether an image with <paramref name="imageLabels"/> passes the label filters, as the engine judges them.</summary>
    public bool Admits(IReadOnlyDictionary<string, string>? imageLabels) =>
        Labels.All(f => HasLabel(imageLabels, f)) && !ExcludedLabels.Any(f => HasLabel(imageLabels, f));

    /// <summary>`KEY` when the image has that label, `KEY=VALUE` when it has it with that value.</summary>
    public static bool HasLabel(IReadOnlyDictionary<string, string>? labels, string filter) =>
        labels is not null && (filter.IndexOf('=') is var eq and > 0
            ? labels.TryGetValue(filter[..eq], out var value) && value == filter[(eq + 1)..]
            : labels.ContainsKey(filter));
}

/// <summary>Credentials for one registry. Never printed: <see cref="ToString"/> shows the server and user only.</summary>
public sealed record RegistryCredential(string Server, string Username, string Password)
{
    public override string ToString() => $"{Username} at {Server}";
}

/// <summary>Where the adapter finds credentials for a registry host ("docker.io", "localhost:5000") when it pulls or pushes.</summary>
public interface IRegistryCredentials
{
    /// <summary>The credential configured for <paramref name="registry"/>, or null to go anonymous. Throws
    /// <see cref="EngineException"/> when one is configured but its files cannot be read.</summary>
    RegistryCredential? For(string registry);

    /// <summary>The servers credentials are configured for (normalised, as <see cref="For"/> looks them up).</summary>
    IReadOnlyList<string> Servers { get; }
}

/// <summary>The registry refused a login: wrong user or password, or none given where one is needed.</summary>
public sealed class RegistryAuthException(string message, Exception? inner = null) : EngineException(message, 401, inner)
{
    /// <summary>What to check: the configured credential's files, or that none is configured for that server.</summary>
    public string Hint { get; init; } = CheckFiles;

    public const string CheckFiles = "Check the files of Agent:Registries for this server.";
}

/// <summary>The agent's own credential file for a registry (Agent:Registries) cannot be read, is empty or too large: the
/// agent's configuration, not the engine's or the registry's fault, so nothing was sent.</summary>
public sealed class RegistryCredentialsUnreadableException(string message) : EngineException(message, 500);

/// <summary>The engine could not reach a registry or index (DNS, connection refused, TLS): nothing the engine itself did wrong.</summary>
public sealed class RegistryUnreachableException(string message, Exception? inner = null) : EngineException(message, 502, inner);
