using System.CommandLine;
using System.Text.Json;
using Agent.Core.Manifests;
using Agent.Sources;

namespace Agent.Cli;

/// <summary>`agent validate DIR`: every error of every manifest; exit 0 when all load, 1 otherwise.</summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of manifests", DefaultValueFactory = _ => "manifests" };
        var output = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var stateDir = new Option<string?>("--state-dir") { Description = "The running agent's state dir: binds of a folder holding it are refused, as the agent refuses them (default: Agent:StateDir)" };
        var urls = CliSettings.UrlsOption();
        var command = new Command("validate", "Check manifests without touching the engine: syntax, schema, references, security policy.") { dir, output, stateDir, urls };
        command.SetAction(parse =>
        {
            using var lookOnly = State.StateFile.LookOnly(); // never writes the state dir (of a running agent, often)
            var options = CliSettings.Load(parse.GetValue(dir), parse.GetValue(stateDir));
            var listen = CliSettings.ListenUrls(parse.GetValue(urls), options.StateDir);
            ManifestSet set;
            try
            {
                set = new ManifestFolder(options.Manifests, options.Limits) { SecretFiles = options.SecretFiles(), RootIsStack = true }.Load(options.Policy(listen));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            var errors = set.Errors.OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ThenBy(e => e.Column).ToList();
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(new ValidationReport(
                    errors.Count == 0,
                    set.Documents.Where(d => d.IsValid).Select(d => new ValidationReport.ValidObject(d.Key!.Value.Kind, d.Key.Value.Name, d.Source.File, d.Source.Line)),
                    errors.Select(e => new ValidationReport.Error(e.File, e.Line, e.Column, e.Path, e.Message))), CliJson.Info<ValidationReport>(CliJson.Options)));
            }
            else
            {
                foreach (var error in errors) Console.WriteLine(error);
                foreach (var d in set.Documents.Where(d => d.IsValid))
                    if (Core.Compose.UnsetVariablesWarning.Of(d.Key!.Value, d.Object) is { } warning) Console.Error.WriteLine($"warning: {warning}");
                foreach (var note in GitRepositoryNotes.Lines(set)) Console.Error.WriteLine(note);
                // The agent refuses a bind of a folder that holds its state dir: say which one this check protected.
                Console.Error.WriteLine($"note: binds judged against the state dir {Path.GetFullPath(options.StateDir)} (--state-dir: the running agent's)");
                Console.Error.WriteLine($"note: ports judged against the agent's own {string.Join(", ", Hosting.SecuritySettings.ListenPorts(listen))} (--urls, Urls, and the address a running agent of the state dir wrote)");
                if (StackNote(options.Manifests, set) is { } stack) Console.Error.WriteLine(stack);
                Console.WriteLine(Summary(options.Manifests, set, errors.Count));
            }
            return errors.Count == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The last line: a folder where nothing was found says so, rather than passing as "0 object(s) valid".</summary>
    internal static string Summary(string dir, ManifestSet set, int errors)
    {
        var valid = set.Documents.Count(d => d.IsValid);
        return errors > 0 ? $"{errors} error(s); {valid} of {set.Documents.Count} object(s) valid"
            : valid == 0 ? $"no object found in {dir}: no agent manifest (*.yaml, *.yml with apiVersion: agent/...) " +
                           $"and no stack folder (a sub-folder holding {string.Join(", ", ManifestSet.StackFileNames)})"
            : $"{valid} object(s) valid in {dir}";
    }

    /// <summary>What became of a compose file at the very top of <paramref name="dir"/>, which `agent run --manifests`
    /// never reads as a project, or null when there is none.</summary>
    internal static string? StackNote(string dir, ManifestSet set)
    {
        if (ManifestSet.StackFileNames.FirstOrDefault(f => File.Exists(Path.Combine(dir, f))) is not { } file) return null;
        return set.Documents.FirstOrDefault(d => d.Source.File == file) is { } project
            ? $"note: {file} is at the top of {dir}: validated as a stack folder{(project.Key is { } key ? $" (project {key.Name})" : "")}, as it is when " +
              "this folder is a sub-folder of the manifests folder (`agent run --manifests` reads no project from a compose file at its very top)"
            : $"note: {file} is at the top of {dir}, beside agent manifests: a folder that holds both is not a stack folder, so {file} is not read";
    }
}
