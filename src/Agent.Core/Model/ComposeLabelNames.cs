namespace Agent.Core.Model;

/// <summary>The labels Docker Compose v2 writes and reads (<c>docker compose ps</c> and 1.29's <c>docker-compose ps</c>
/// select containers by project, service, oneoff and read the container number).</summary>
public static class ComposeLabelNames
{
    public const string Project = "com.docker.compose.project";
    public const string Service = "com.docker.compose.service";
    public const string ContainerNumber = "com.docker.compose.container-number";
    public const string Oneoff = "com.docker.compose.oneoff";
    public const string ConfigHash = "com.docker.compose.config-hash";
    public const string WorkingDir = "com.docker.compose.project.working_dir";
    public const string ConfigFiles = "com.docker.compose.project.config_files";
    public const string DependsOn = "com.docker.compose.depends_on";
    public const string Image = "com.docker.compose.image";
    public const string Version = "com.docker.compose.version";
    public const string Network = "com.docker.compose.network";
    public const string Volume = "com.docker.compose.volume";

    /// <summary>The Compose version the labels claim: v2's label set, written by the agent.</summary>
    public const string VersionValue = "2.20.0";
}
