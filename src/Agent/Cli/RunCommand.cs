using System.CommandLine;
using Agent.Hosting;

namespace Agent.Cli;

/// <summary>`agent run`: the daemon.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var manifests = new Option<string?>("--manifests") { Description = "Folder of manifests to apply (default: manifests)" };
        var urls = new Option<string?>("--urls") { Description = $"Addresses to listen on (default: {AgentHost.DefaultUrls})" };
        var instance = new Option<string?>("--instance") { Description = "Instance id for the agent.instance label (default: stored in the state dir)" };
        var stateDir = new Option<string?>("--state-dir") { Description = "Folder for the instance id and runtime overrides" };
        var allowMassPrune = new Option<bool>("--allow-mass-prune") { Description = "Turn the mass-prune guard (Agent:PruneGuard) off for this run" };
        var command = new Command("run", "Run the agent: reconcile continuously and serve the HTTP surface.")
        {
            manifests, urls, instance, stateDir, allowMassPrune,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Dictionary<string, string?>();
            Put(settings, "Agent:Manifests", parse.GetValue(manifests));
            Put(settings, "Urls", parse.GetValue(urls));
            Put(settings, "Agent:Instance", parse.GetValue(instance));
            Put(settings, "Agent:StateDir", parse.GetValue(stateDir));
            if (parse.GetValue(allowMassPrune)) settings["Agent:AllowMassPrune"] = "true";
            try
            {
                var app = AgentHost.Build(settings);
                await app.RunAsync(ct);
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void Put(Dictionary<string, string?> settings, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) settings[key] = value;
    }
}
