namespace Agent.Hosting;

/// <summary>One entry of Agent:Registries: a registry and the files holding its user name and password (or token).</summary>
public sealed class RegistrySettings
{
    /// <summary>The registry as image references name it: "localhost:5000", "ghcr.io", "docker.io".</summary>
    public string Server { get; set; } = "";
    public string UsernameFile { get; set; } = "";
    public string PasswordFile { get; set; } = "";
}

/// <summary>Agent:Images: limits of image uploads and of the build tasks kept in memory.</summary>
public sealed class ImageSettings
{
    /// <summary>POST /images/load: the largest `docker save` tar accepted.</summary>
    public long MaxLoadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>POST /images/build: the largest context tar accepted.</summary>
    public long MaxBuildContextBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Builds running at once; more wait in state "queued".</summary>
    public int MaxRunningBuilds { get; set; } = 2;

    /// <summary>Tasks kept in memory (finished ones beyond this are forgotten, oldest first); they do not survive a restart.</summary>
    public int MaxTasks { get; set; } = 50;

    /// <summary>Log lines kept per task (the oldest are dropped beyond this).</summary>
    public int MaxTaskLogLines { get; set; } = 5000;
}
