namespace Agent.Hosting;

/// <summary>The agent's settings: from appsettings.json, AGENT__* environment variables and the command line.</summary>
public sealed class AgentOptions
{
    public const string Section = "Agent";

    /// <summary>The folder of manifests to keep the engine equal to.</summary>
    public string Manifests { get; set; } = "manifests";

    /// <summary>Set by `agent run` when --manifests is not given: with a GitRepository from the command line (Git.Url),
    /// a missing folder means "no folder" (the repository is the only source), not a folder that failed to read.</summary>
    public bool ManifestsOptional { get; set; }

    /// <summary>Whether this run has no manifests folder at all (see <see cref="ManifestsOptional"/>).</summary>
    public bool ManifestsAbsent() =>
        ManifestsOptional && !string.IsNullOrWhiteSpace(Git.Url) && Sources.ManifestFolder.Missing(Manifests);

    /// <summary>Where the agent keeps its instance id and runtime overrides.</summary>
    public string StateDir { get; set; } = DefaultStateDir();

    /// <summary>The instance id in the agent.instance label; empty means the one stored in the state dir.</summary>
    public string? Instance { get; set; }

    public string LabelPrefix { get; set; } = Core.Model.AgentLabels.DefaultPrefix;

    /// <summary>The engine address; empty means DOCKER_HOST or unix:///var/run/docker.sock.</summary>
    public string? DockerHost { get; set; }

    /// <summary>How long a single engine call (not a stream: logs, events, pulls, builds) may go unanswered before it
    /// fails as an engine timeout (504).</summary>
    public TimeSpan EngineRequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the engine is pinged while nothing else shows it answers; two missed pings (each bounded by
    /// this interval) mark every object EngineUnavailable and stop answers from the cache until it answers again.</summary>
    public TimeSpan EngineHeartbeat { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gives back the memory only start-up used once the first sync is done, and again when the agent is quiet
    /// after use (<see cref="MemoryRelease"/>).</summary>
    public bool ReleaseStartupMemory { get; set; } = true;

    /// <summary>How long without an API request or a reconcile before memory grown by use is given back; zero: only
    /// after start-up.</summary>
    public TimeSpan MemoryReleaseQuietPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many engine calls the executor makes at once (8 is the engine's best on 2 cores).</summary>
    public int Parallelism { get; set; } = 8;

    /// <summary>How many objects reconcile at once.</summary>
    public int Workers { get; set; } = 4;

    public TimeSpan ManifestDebounce { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a manifest must stay gone before its objects are pruned: a file deleted and written back (an
    /// `rm` then `cp` deploy, an editor or a checkout replacing it) takes nothing down in between.</summary>
    public TimeSpan PruneDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A manifest file larger than this is an error on that file (its objects are held); it is never read whole.</summary>
    public long MaxManifestFileBytes { get; set; } = Sources.ManifestFolder.DefaultMaxFileBytes;

    /// <summary>The mass-prune guard: a read that would remove more than this share of the managed objects ("50%", "0.5",
    /// "off") is held until the manifests come back or an admin confirms.</summary>
    public string PruneGuard { get; set; } = "50%";

    /// <summary>The guard only holds reads that would remove at least this many objects.</summary>
    public int PruneGuardMinimum { get; set; } = 2;

    /// <summary>Turns the mass-prune guard off for this process (`agent run --allow-mass-prune`).</summary>
    public bool AllowMassPrune { get; set; }

    /// <summary>A container unhealthy for longer than this is restarted, like a Kubernetes liveness probe.</summary>
    public TimeSpan UnhealthyGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Liveness fails when the reconcile loop has not made progress for this long.</summary>
    public TimeSpan LivenessStall { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A plan's image pull or build is cancelled, and fails, after this long (a quiet `RUN` prints nothing for
    /// minutes: liveness counts the step as a wait the agent chose until this bound).</summary>
    public TimeSpan ImageTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The first retry of a failed job attempt waits this long, each further one twice as long (Kubernetes: 10s).</summary>
    public TimeSpan JobBackoffBase { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a running job's containers are looked at for their exit.</summary>
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a Job's or CronJob's template (its manifest and the files it reads) must stay unchanged before a
    /// run starts from it; <c>0</c>: at once.</summary>
    public TimeSpan JobSettle { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>This host's labels (Agent:HostLabels:role=edge): a manifest with spec.placement.hostSelector.matchLabels is
    /// applied only where every label matches; elsewhere it is reported NotSelected.</summary>
    public Dictionary<string, string> HostLabels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>/readyz/sources fails when a GitRepository has not synced successfully for this long.</summary>
    public TimeSpan SourceStaleAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Git sources: limits, and the repository `agent run --git-url` synthesises.</summary>
    public GitSettings Git { get; set; } = new();

    public SecuritySettings Security { get; set; } = new();

    /// <summary>Registry credentials from files, used for pulls (manifests, run, API), pushes and login checks.</summary>
    public List<RegistrySettings> Registries { get; set; } = [];

    public ImageSettings Images { get; set; } = new();

    /// <summary>What one manifest file may cost to load (depth, aliases, documents, value size).</summary>
    public Core.Manifests.ManifestLimits Limits { get; set; } = new();

    public Auth.AuthOptions Auth { get; set; } = new();

    /// <summary>The security policy with this agent's own paths: state dir and secret files never bound, the manifests
    /// folder never read-write. The daemon and `agent validate` both use it, so they agree.</summary>
    public Core.Security.SecurityPolicy Policy(string? urls = AgentHost.DefaultUrls) => Security.ToPolicy(StateDir,
        new[] { Auth.TokensFile, Auth.JwtKeyFile }.Concat(Registries.SelectMany(r => new[] { r.UsernameFile, r.PasswordFile })).OfType<string>(), Manifests,
        EngineSocket(), urls);

    /// <summary>The agent's own secret files: the tokens file (Agent:Auth:TokensFile, else the one generated in the state
    /// dir), the JWT key and the registry credential files. The manifests folder never reads one of them, whatever its
    /// name there (a hard link).</summary>
    public IReadOnlyList<string> SecretFiles() =>
        new[] { string.IsNullOrWhiteSpace(Auth.TokensFile) ? Path.Combine(StateDir, "tokens") : Auth.TokensFile, Auth.JwtKeyFile }
            .Concat(Registries.SelectMany(r => new[] { r.UsernameFile, r.PasswordFile }))
            .Where(f => !string.IsNullOrWhiteSpace(f)).Select(f => f!).ToList();

    /// <summary>The unix socket of the engine the agent drives (DockerHost, DOCKER_HOST or the default): a container that
    /// could bind it would be root on the host, wherever it lives.</summary>
    public string? EngineSocket()
    {
        try
        {
            var uri = Engine.EngineEndpoint.Resolve(DockerHost);
            return uri.Scheme == "unix" ? uri.LocalPath : null;
        }
        catch (Engine.EngineException)
        {
            return null; // an unusable address fails at start, where the engine is first called
        }
    }

    private static string DefaultStateDir()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "agent");
    }
}
