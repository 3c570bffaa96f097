using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Core.Model;
using Agent.Sources;

namespace Agent.Cli;

/// <summary>`agent render DIR`: every object's resolved model as YAML, like `docker compose config`: compose files
/// interpolated and merged, env files read, defaults filled. Exit 0 when everything loads, 1 otherwise.</summary>
public static class RenderCommand
{
    private static readonly JsonSerializerOptions Json = Http.AgentJson.WithEnums(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = Agent.Core.Json.CoreJsonContext.Default,
    }, JsonNamingPolicy.KebabCaseLower);

    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of manifests", DefaultValueFactory = _ => "manifests" };
        var stateDir = new Option<string?>("--state-dir") { Description = "The running agent's state dir, as for validate" };
        var urls = CliSettings.UrlsOption();
        var command = new Command("render", "Print every object's resolved model as YAML (compose files interpolated and merged, defaults filled).") { dir, stateDir, urls };
        command.SetAction(parse =>
        {
            using var lookOnly = State.StateFile.LookOnly(); // never writes the state dir (of a running agent, often)
            var options = CliSettings.Load(parse.GetValue(dir), parse.GetValue(stateDir));
            var set = new ManifestFolder(options.Manifests, options.Limits) { SecretFiles = options.SecretFiles() }.Load(options.Policy(CliSettings.ListenUrls(parse.GetValue(urls), options.StateDir)));
            foreach (var error in set.Errors) Console.Error.WriteLine(error);
            var first = true;
            foreach (var (key, obj) in set.Objects.OrderBy(o => o.Key.ToString(), StringComparer.Ordinal))
            {
                if (!first) Console.WriteLine("---");
                first = false;
                object spec = obj is ServiceGroup g ? g.Spec : obj;
                var model = new JsonObject
                {
                    ["kind"] = key.Kind,
                    ["name"] = key.Name,
                    ["source"] = obj.Source.ToString(),
                };
                if (obj is ServiceGroup { Compose: { } compose }) model["compose"] = JsonSerializer.SerializeToNode(compose, Agent.Core.Json.CoreJson.Info<ComposeOrigin>(Json));
                model["spec"] = JsonSerializer.SerializeToNode(spec, Json.GetTypeInfo(spec.GetType()));
                Console.Write(YamlOutput.Write(model, quoteNecessaryStrings: false));
            }
            return set.Errors.Any() ? 1 : 0;
        });
        return command;
    }
}
