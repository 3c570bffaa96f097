using Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Cli;

/// <summary>The agent's services without its web host, for one-shot commands (diff, apply).</summary>
public static class OneShotServices
{
    /// <param name="hostLabels">--host-labels as settings: when given, they replace the labels the running agent recorded.</param>
    /// <remarks>The state dir is --state-dir, else Agent:StateDir, else the default one (as `agent run` takes it); its
    /// `running` record gives the instance and host labels below the environment and the flags, so a diff without
    /// --state-dir compares as the agent of the default state dir runs. Where the instance comes from is registered as
    /// <see cref="InstanceSource"/>, for the command to say.</remarks>
    public static ServiceProvider Build(string manifests, string? instance, string? stateDir, IDictionary<string, string?>? extra = null,
        IReadOnlyDictionary<string, string?>? hostLabels = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>()) { ["Agent:Manifests"] = manifests };
        if (!string.IsNullOrWhiteSpace(instance)) settings["Agent:Instance"] = instance;
        if (!string.IsNullOrWhiteSpace(stateDir)) settings["Agent:StateDir"] = stateDir;
        var appsettings = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var given = new ConfigurationBuilder().AddJsonFile(appsettings, optional: true).AddEnvironmentVariables("AGENT_").AddInMemoryCollection(settings).Build();
        var state = given["Agent:StateDir"] is { Length: > 0 } configuredState ? configuredState : new AgentOptions().StateDir;
        var running = ServerFile.ReadRunning(state);
        var source = InstanceSource.Of(instance, given["Agent:Instance"], !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("AGENT_Agent__Instance")),
            running.GetValueOrDefault("Agent:Instance"), state, File.Exists(Path.Combine(state, "instance-id")));
        if (hostLabels is { Count: > 0 })
        {
            running = running.Where(p => !p.Key.StartsWith("Agent:HostLabels:", StringComparison.Ordinal)).ToDictionary();
            foreach (var (key, value) in hostLabels) settings[key] = value;
        }
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(appsettings, optional: true)
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
        services.AddSingleton(source);
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
