using Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Cli;

/// <summary>The agent's services without its web host, for one-shot commands (diff, apply).</summary>
public static class OneShotServices
{
    /// <param name="hostLabels">--host-labels as settings: when given, they replace the labels the running agent recorded.</param>
    public static ServiceProvider Build(string manifests, string? instance, string? stateDir, IDictionary<string, string?>? extra = null,
        IReadOnlyDictionary<string, string?>? hostLabels = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>()) { ["Agent:Manifests"] = manifests };
        if (!string.IsNullOrWhiteSpace(instance)) settings["Agent:Instance"] = instance;
        if (!string.IsNullOrWhiteSpace(stateDir)) settings["Agent:StateDir"] = stateDir;
        // The running agent's instance and host labels, recorded in its state dir: below the environment and the flags.
        var running = string.IsNullOrWhiteSpace(stateDir) ? [] : ServerFile.ReadRunning(stateDir);
        if (hostLabels is { Count: > 0 })
        {
            running = running.Where(p => !p.Key.StartsWith("Agent:HostLabels:", StringComparison.Ordinal)).ToDictionary();
            foreach (var (key, value) in hostLabels) settings[key] = value;
        }
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddInMemoryCollection(running)
            .AddEnvironmentVariables("AGENT_")
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection();
        // Logs go to standard error: standard output holds only the command's results (a diff, apply's outcome per object).
        // The store's once-per-change lines about broken manifests would repeat what LoadManifests prints.
        services.AddLogging(logging => logging.AddConfiguration(configuration.GetSection("Logging"))
            .AddFilter("Agent.Sources.ManifestStore", LogLevel.Error)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddAgent(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>Loads the manifests; prints every error to standard error and returns false when the folder or any
    /// manifest does not read or load (a failed read is never a plan of removals).</summary>
    public static bool LoadManifests(IServiceProvider services)
    {
        var manifests = services.GetRequiredService<Sources.ManifestStore>();
        manifests.Reload();
        if (manifests.SourceError is { } source)
        {
            Console.Error.WriteLine($"error: {source}");
            return false;
        }
        foreach (var problem in manifests.Problems.Where(p => !p.HidesObjects)) Console.Error.WriteLine($"warning: {problem}");
        var errors = manifests.Errors;
        foreach (var error in errors) Console.Error.WriteLine(error);
        return errors.Count == 0;
    }

    /// <summary>The mass-prune guard for one-shot commands: what this read would remove of everything managed.</summary>
    public static Core.Sources.PruneDecision JudgePrunes(IServiceProvider services, IReadOnlySet<Core.Model.ObjectKey> inEngine)
    {
        var manifests = services.GetRequiredService<Sources.ManifestStore>();
        var desired = manifests.All().Select(e => e.Key).ToHashSet();
        var guard = services.GetRequiredService<Core.Sources.PruneGuard>();
        var stateDir = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions>>().Value.StateDir;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<Reconciliation.PruneHolds>();
        var kept = new Reconciliation.PruneHolds(stateDir, logger).Load();
        return guard.Decide(inEngine.Union(desired).Count(), inEngine.Where(k => !desired.Contains(k)).ToHashSet(), kept.StillHeld, kept.Confirmed).Decision;
    }
}
