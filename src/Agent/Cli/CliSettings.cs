using Agent.Hosting;

namespace Agent.Cli;

/// <summary>The agent's settings for one-shot and client commands, from the sources `agent run` reads, in its order (a
/// later one wins): ASPNETCORE_* and DOTNET_* variables (the web host's, e.g. ASPNETCORE_URLS), appsettings.json,
/// unprefixed variables (URLS, Agent__StateDir), AGENT_* variables.</summary>
public static class CliSettings
{
    public static IConfiguration Configuration()
    {
        DurationConverter.Register();
        return new ConfigurationBuilder()
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddEnvironmentVariables("DOTNET_")
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddEnvironmentVariables("AGENT_")
            .Build();
    }

    /// <summary>`--urls` of commands that judge manifests as the agent does: the addresses the agent is run with.</summary>
    public static System.CommandLine.Option<string?> UrlsOption() =>
        new("--urls") { Description = $"The addresses the agent listens on, as given to `agent run --urls` (default: the Urls setting, else {AgentHost.DefaultUrls}); no container may publish their ports" };

    /// <summary>The addresses whose ports no container may publish (the agent's own API, probe-15h H5), as the agent would
    /// listen: <paramref name="urlsFlag"/> (`--urls`, as given to `agent run`) and every configured source
    /// (<see cref="SecuritySettings.ListenUrls"/>); and
    /// the address a running agent of <paramref name="stateDir"/> wrote (STATE_DIR/server), whatever it was started with.</summary>
    public static string ListenUrls(string? urlsFlag, string stateDir)
    {
        // --urls takes the place of the Urls setting, as `agent run --urls` does: the default address is not judged beside it
        // (probe-65: `--urls http://127.0.0.1:18165` judged 18165 and 8098); Kestrel endpoints and HTTP_PORTS still are.
        IConfiguration configuration = Configuration();
        if (!string.IsNullOrWhiteSpace(urlsFlag))
            configuration = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection([new("Urls", urlsFlag)]).Build();
        var configured = SecuritySettings.ListenUrls(configuration);
        return ServerFile.Read(stateDir) is { } running ? $"{configured};{running}" : configured;
    }

    public static AgentOptions Load(string? manifests = null, string? stateDir = null)
    {
        var options = new AgentOptions();
        var section = Configuration().GetSection(AgentOptions.Section);
        section.Bind(options);
        CommaLists.Split(options, section);
        if (manifests is not null) options.Manifests = manifests;
        if (!string.IsNullOrWhiteSpace(stateDir)) options.StateDir = stateDir;
        return options;
    }
}
