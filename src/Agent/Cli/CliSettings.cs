using Agent.Hosting;

namespace Agent.Cli;

/// <summary>The agent's settings for one-shot and client commands: appsettings.json and AGENT_* variables, like `agent run`.</summary>
public static class CliSettings
{
    public static IConfiguration Configuration()
    {
        DurationConverter.Register();
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("AGENT_")
            .Build();
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
