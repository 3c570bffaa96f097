using System.CommandLine;
using Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

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
        var gitUrl = new Option<string?>("--git-url") { Description = "Also apply the manifests of this git repository (a GitRepository named \"default\"; credentials only from files, see docs/manifests.md)" };
        var gitRef = new Option<string?>("--git-ref") { Description = "What of --git-url to follow: a branch (default: main), or tag:v1.2.0, semver:^1.2, commit:<40 hex digits>" };
        var gitPath = new Option<string?>("--git-path") { Description = "The folder of --git-url whose manifests are applied (default: the whole repository)" };
        var gitInterval = new Option<string?>("--git-interval") { Description = "How often --git-url is fetched (default: 1m)" };
        var hostLabels = HostLabelsOption.Create("This host's labels for spec.placement.hostSelector (role=edge,zone=a; Agent:HostLabels)");
        var command = new Command("run", "Run the agent: reconcile continuously and serve the HTTP surface.")
        {
            manifests, urls, instance, stateDir, allowMassPrune, gitUrl, gitRef, gitPath, gitInterval, hostLabels,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Dictionary<string, string?>();
            Put(settings, "Agent:Manifests", parse.GetValue(manifests));
            if (string.IsNullOrWhiteSpace(parse.GetValue(manifests))) settings["Agent:ManifestsOptional"] = "true";
            Put(settings, "Urls", parse.GetValue(urls));
            Put(settings, "Agent:Instance", parse.GetValue(instance));
            Put(settings, "Agent:StateDir", parse.GetValue(stateDir));
            if (parse.GetValue(allowMassPrune)) settings["Agent:AllowMassPrune"] = "true";
            Put(settings, "Agent:Git:Url", parse.GetValue(gitUrl));
            Put(settings, "Agent:Git:Ref", parse.GetValue(gitRef));
            Put(settings, "Agent:Git:Path", parse.GetValue(gitPath));
            Put(settings, "Agent:Git:Interval", parse.GetValue(gitInterval));
            if (HostLabelsOption.Parse(parse.GetValue(hostLabels), out var labelError) is not { } labels)
            {
                Console.Error.WriteLine($"error: {labelError}");
                return 1;
            }
            foreach (var (key, value) in labels) settings[key] = value;
            try
            {
                var app = AgentHost.Build(settings);
                var startErrors = CommandLineGitErrors(app.Services);
                if (startErrors.Count == 0 && FolderError(app.Services) is { } folderError) startErrors.Add(folderError);
                if (startErrors is { Count: > 0 } gitErrors)
                {
                    foreach (var error in gitErrors) Console.Error.WriteLine($"error: {error}");
                    return 2;
                }
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

    /// <summary>The errors of --git-url/--git-ref/--git-path/--git-interval (parsed as the GitRepository they stand for,
    /// so they name the field; a URL's password is never echoed): a bad flag stops the agent before it starts.</summary>
    private static List<string> CommandLineGitErrors(IServiceProvider services)
    {
        var files = services.GetRequiredService<Sources.ManifestFolder>();
        return services.GetRequiredService<Sources.GitDocuments>().CommandLine(files)
            .SelectMany(d => d.Errors).Select(e => $"{FlagOf(e.Path)}: {e.Message}").ToList();
    }

    /// <summary>With --git-url, a manifests folder that cannot be read at start would hold everything, the repository
    /// included (it is never fetched): a bad start, said at once. Without --manifests and without a ./manifests folder
    /// the repository is the only source, unless the last run applied objects from a folder there (then leaving the
    /// folder out would prune them: it is asked for instead).</summary>
    private static string? FolderError(IServiceProvider services)
    {
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.Git.Url)) return null;
        var folder = services.GetRequiredService<Sources.ManifestFolder>();
        if (!folder.Absent)
        {
            var snapshot = folder.Read();
            if (snapshot.RootError is { } error)
                return $"--manifests: {error}; --git-url needs a folder it can read (it holds everything else), or none: leave --manifests out " +
                       "(and have no ./manifests) to apply the repository alone";
            // A manifest of the same name would win over the flag (the first definition does): say so instead (probe-13b B13).
            var key = new Core.Model.ObjectKey(Core.Model.GitRepository.KindName, options.Git.Name);
            return folder.Parse(snapshot, services.GetRequiredService<Core.Security.SecurityPolicy>()).FirstOrDefault(d => d.Key == key) is { } clash
                ? $"--git-url: the manifests also define GitRepository {options.Git.Name} ({clash.Source.File}:{clash.Source.Line}); " +
                  "rename it, or give the flag's repository another name with Agent:Git:Name"
                : null;
        }
        var fromFolder = new Sources.ManifestIndex(options.StateDir).Load(NullLogger.Instance)?
            .Where(p => p.Value != Sources.GitDocuments.CommandLineFile && Sources.GitDocuments.RepositoryOf(p.Value) is null)
            .Select(p => p.Key.ToString()).Order(StringComparer.Ordinal).ToList() ?? [];
        return fromFolder.Count == 0 ? null
            : $"--manifests: there is no manifests folder {folder.Root}, but the last run applied {fromFolder.Count} object(s) from one " +
              $"({string.Join(", ", fromFolder.Take(3))}{(fromFolder.Count > 3 ? ", ..." : "")}); give --manifests, or create the folder " +
              "(an empty one prunes them, under the mass-prune guard)";
    }

    private static string FlagOf(string field) => field switch
    {
        _ when field.StartsWith("spec.ref", StringComparison.Ordinal) => "--git-ref",
        "spec.path" => "--git-path",
        "spec.interval" => "--git-interval",
        _ => "--git-url",
    };

    private static void Put(Dictionary<string, string?> settings, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) settings[key] = value;
    }
}
