using Agent.Hosting;

namespace Agent.Cli;

/// <summary>The agent's settings for one-shot commands (validate, diff, apply): appsettings.json and AGENT_* variables, like `agent run`.</summary>
public static class CliSettings
{
    public static AgentOptions Load(string? manifests = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("AGENT_")
            .Build();
        var options = new AgentOptions();
        configuration.GetSection(AgentOptions.Section).Bind(options);
        if (manifests is not null) options.Manifests = manifests;
        return options;
    }
}
