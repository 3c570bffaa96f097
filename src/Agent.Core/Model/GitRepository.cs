namespace Agent.Core.Model;

/// <summary>Which commit of a repository to follow: a branch's head, a tag, the highest tag in a semver range, or one
/// commit (Flux's spec.ref).</summary>
public sealed record GitRef(string? Branch = null, string? Tag = null, string? Commit = null, string? Semver = null)
{
    /// <summary>The name a revision is reported under (<c>main@sha1:…</c>): the branch or tag, or "HEAD" for a commit. A
    /// semver range is reported under the tag it picked (<see cref="Resolved"/>).</summary>
    public string Name => Branch ?? Tag ?? (Semver is not null ? "semver" : "HEAD");

    /// <summary>What to ask the remote for: a full ref name, or the commit itself (a semver range is first resolved to a tag).</summary>
    public string FetchTarget => Branch is not null ? $"refs/heads/{Branch}" : Tag is not null ? $"refs/tags/{Tag}" : Commit ?? "refs/tags/*";

    /// <summary>The ref this one names now: for a semver range, the tag it picked.</summary>
    public GitRef Resolved(string tag) => Semver is null ? this : new GitRef(Tag: tag);

    /// <summary>How status shows the ref: "branch main", "tag v1.2.0", "semver >=1.0.0 <2.0.0", "commit 0a1b…".</summary>
    public string Describe() => Branch is not null ? $"branch {Branch}" : Tag is not null ? $"tag {Tag}" : Semver is not null ? $"semver {Semver}" : $"commit {Commit}";

    /// <summary>The full ref a push event names when it moves this ref (null for a pinned commit or a semver range).</summary>
    public string? PushRef => Branch is not null ? $"refs/heads/{Branch}" : Tag is not null ? $"refs/tags/{Tag}" : null;

    /// <summary>Whether a push to <paramref name="pushed"/> (refs/heads/x, refs/tags/y) can change the commit this ref
    /// names: its own branch or tag; for a semver range, a tag that is a version in the range (a push to a branch or to
    /// another tag cannot); for a pinned commit, any push (a sync request as the sender meant it).</summary>
    public bool MovesWith(string pushed)
    {
        if (PushRef is { } own) return pushed == own;
        if (Semver is null) return true;
        const string tags = "refs/tags/";
        return pushed.StartsWith(tags, StringComparison.Ordinal) && Git.SemVersion.Parse(pushed[tags.Length..]) is { } version
               && Git.SemverRange.Parse(Semver, out _)?.Matches(version) == true;
    }
}

/// <summary>Files the credentials are read from (never the credentials themselves): an SSH key with its known hosts,
/// an HTTPS token, or an HTTPS user name and password.</summary>
public sealed record GitSecretRef(
    string? SshKeyFile = null, string? KnownHostsFile = null, string? TokenFile = null, string? UsernameFile = null, string? PasswordFile = null);

public sealed record GitRepositorySpec
{
    public required string Url { get; init; }
    public GitRef Ref { get; init; } = new(Branch: "main");
    /// <summary>The folder of the repository whose manifests are applied ("" for the whole repository).</summary>
    public string Path { get; init; } = "";
    /// <summary>Where spec.path is written in the manifest: a revision that lacks the folder is reported there.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SourceLocation? PathSource { get; init; }
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>A fetch (and checkout) that takes longer is stopped and counts as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public GitSecretRef? SecretRef { get; init; }
    /// <summary>When set, only a head commit signed by one of these SSH keys is applied.</summary>
    public string? AllowedSignersFile { get; init; }
    /// <summary>The secret webhooks at POST /hooks/{name} are signed with, read from this file.</summary>
    public string? WebhookSecretFile { get; init; }
    public bool Suspend { get; init; }
    /// <summary>When the GitRepository is deleted, also remove the objects it brought (true) or keep them running (false).</summary>
    public bool Prune { get; init; } = true;
    /// <summary>Allows sending credentials (tokenFile, usernameFile/passwordFile) over plain http:// (Flux's opt-in).</summary>
    public bool Insecure { get; init; }
    /// <summary>Every secret file it names (credentials, webhook secret, allowed signers): no container may bind them.</summary>
    public IEnumerable<string> SecretFiles() =>
        new[] { SecretRef?.SshKeyFile, SecretRef?.KnownHostsFile, SecretRef?.TokenFile, SecretRef?.UsernameFile, SecretRef?.PasswordFile, WebhookSecretFile, AllowedSignersFile }
            .OfType<string>();
}

/// <summary>A GitRepository manifest (Flux's shape): the manifests under <see cref="GitRepositorySpec.Path"/> of a
/// repository's ref are applied as if they were in the manifests folder.</summary>
public sealed record GitRepository(ObjectMetadata Metadata, GitRepositorySpec Spec, SourceLocation Source) : Manifests.IManifestObject
{
    public const string KindName = "GitRepository";
    public ObjectKey Key => new(KindName, Metadata.Name);
}
