using System.Globalization;
using Agent.Core.Security;

namespace Agent.Hosting;

/// <summary>The security policy's settings in configuration (section Agent:Security). Only these relax a rule.</summary>
public sealed class SecuritySettings
{
    public SecurityProfile Profile { get; set; } = SecurityProfile.Default;
    public List<string> AllowedCapabilities { get; set; } = [];
    public List<string> AllowedImages { get; set; } = [];
    public List<string> AllowedBindRoots { get; set; } = [];
    public List<string> AllowedSysctls { get; set; } = [];
    public List<string> AllowedUlimits { get; set; } = [];
    public bool AllowDevices { get; set; }
    public List<string> AllowedExternalVolumes { get; set; } = [];
    public List<string> AllowedVolumeDrivers { get; set; } = [];
    public List<string> AllowedExternalNetworks { get; set; } = [];

    /// <summary>Replaces the default (json-file, local, none) when set.</summary>
    public List<string> AllowedLogDrivers { get; set; } = [];
    public List<string> AllowedSecurityOpts { get; set; } = [];
    public List<string> AllowedFileRoots { get; set; } = [];
    public bool AllowExecUser { get; set; }
    public bool AllowRemoteBuildSources { get; set; }

    /// <summary>The most a build context may send, in bytes (0: the default, 256 MiB).</summary>
    public long MaxBuildContextBytes { get; set; }

    /// <summary>The most host ports one container may publish (0: the default, 100).</summary>
    public int MaxPublishedPorts { get; set; }

    /// <summary>The policy; the agent's own state folder (tokens, instance id) and secret files are never bind-mounted, the
    /// manifests folder never read-write.</summary>
    public SecurityPolicy ToPolicy(string? stateDir = null, IEnumerable<string>? secretFiles = null, string? manifests = null, string? engineSocket = null,
        string? urls = null)
    {
        var defaults = new SecurityOptions();
        string[] agentPaths = [.. new[] { stateDir, engineSocket }.Where(p => !string.IsNullOrEmpty(p)).Select(p => Path.GetFullPath(p!))];
        return new SecurityPolicy(defaults with
        {
            Profile = Profile,
            AllowedCapabilities = AllowedCapabilities,
            AllowedImages = AllowedImages,
            AllowedBindRoots = AllowedBindRoots,
            AllowedSysctls = AllowedSysctls,
            AllowedUlimits = AllowedUlimits,
            AllowDevices = AllowDevices,
            AllowedExternalVolumes = AllowedExternalVolumes,
            AllowedVolumeDrivers = AllowedVolumeDrivers,
            AllowedExternalNetworks = AllowedExternalNetworks,
            AllowedLogDrivers = AllowedLogDrivers.Count > 0 ? AllowedLogDrivers : defaults.AllowedLogDrivers,
            AllowedSecurityOpts = AllowedSecurityOpts,
            AllowedFileRoots = AllowedFileRoots,
            AllowExecUser = AllowExecUser,
            AllowRemoteBuildSources = AllowRemoteBuildSources,
            MaxBuildContextBytes = MaxBuildContextBytes > 0 ? MaxBuildContextBytes : defaults.MaxBuildContextBytes,
            MaxPublishedPorts = MaxPublishedPorts > 0 ? MaxPublishedPorts : defaults.MaxPublishedPorts,
            SensitivePaths = [.. defaults.SensitivePaths, .. agentPaths],
            AgentStatePaths = agentPaths,
            AgentSecretPaths = (secretFiles ?? []).Where(p => !string.IsNullOrEmpty(p)).Select(Path.GetFullPath).Distinct().ToList(),
            ManifestsFolder = string.IsNullOrEmpty(manifests) ? null : Path.GetFullPath(manifests),
            AgentPorts = ListenPorts(urls),
            PrivilegedGroupIds = [.. defaults.PrivilegedGroupIds, .. HostPrivilegedGroupIds()],
        });
    }

    /// <summary>Every address the web host may listen on, from every source it honours (probe-15i H5: Kestrel endpoints
    /// override Urls, so judging Urls alone let a container take the real API port): the Urls setting (--urls, AGENT_Urls,
    /// URLS, ASPNETCORE_URLS), else the default; each Kestrel:Endpoints:*:Url; HTTP_PORTS / HTTPS_PORTS
    /// (ASPNETCORE_HTTP_PORTS). The daemon and `agent validate`/`render` both judge with this.</summary>
    public static string ListenUrls(IConfiguration configuration)
    {
        var urls = new List<string> { configuration["Urls"] is { Length: > 0 } u ? u : AgentHost.DefaultUrls };
        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        foreach (var (key, scheme) in new[] { ("HTTP_PORTS", "http"), ("HTTPS_PORTS", "https") })
            urls.AddRange((configuration[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => $"{scheme}://*:{p}"));
        return string.Join(';', urls);
    }

    /// <summary>The ports of a Kestrel Urls value ("http://127.0.0.1:8098;http://*:9000"); port 0 (any free port) is none.</summary>
    public static IReadOnlyList<int> ListenPorts(string? urls) =>
        (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u.Replace("://*", "://localhost").Replace("://+", "://localhost"), UriKind.Absolute, out var uri) ? uri.Port : 0)
            .Where(p => p > 0)
            .Distinct()
            .ToList();

    /// <summary>The host's ids of the privileged group names (docker, sudo, disk, ...), from /etc/group.</summary>
    private static IEnumerable<int> HostPrivilegedGroupIds()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/etc/group");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        return lines.Select(l => l.Split(':'))
            .Where(p => p.Length >= 3 && UserRules.PrivilegedGroupNames.Contains(p[0], StringComparer.Ordinal))
            .Select(p => int.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out var gid) ? gid : -1)
            .Where(gid => gid >= 0)
            .ToList();
    }
}
