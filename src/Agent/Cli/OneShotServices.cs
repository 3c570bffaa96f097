using Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Cli;

/// <summary>The agent's services without its web host, for one-shot commands (diff, apply).</summary>
public static class OneShotServices
{
    public static ServiceProvider Build(string manifests, string? instance, string? stateDir)
    {
        var settings = new Dictionary<string, string?> { ["Agent:Manifests"] = manifests };
        if (!string.IsNullOrWhiteSpace(instance)) settings["Agent:Instance"] = instance;
        if (!string.IsNullOrWhiteSpace(stateDir)) settings["Agent:StateDir"] = stateDir;
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("AGENT_")
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConfiguration(configuration.GetSection("Logging")).AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        }));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddAgent(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>Loads the manifests; prints every error to standard error and returns false when any manifest does not load.</summary>
    public static bool LoadManifests(IServiceProvider services)
    {
        var manifests = services.GetRequiredService<Sources.ManifestStore>();
        manifests.Reload();
        var errors = manifests.Errors;
        foreach (var error in errors) Console.Error.WriteLine(error);
        return errors.Count == 0;
    }
}
