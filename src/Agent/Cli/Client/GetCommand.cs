using System.CommandLine;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>`agent get servicegroups|composeprojects|cronjobs|containers|all [-o wide|json|yaml] [--watch]`, like kubectl get.</summary>
public static class GetCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("kind") { Description = "servicegroups, composeprojects, cronjobs, jobs, gitrepositories, containers, all (any kind the agent lists; singular works too)" };
        var name = new Argument<string?>("name") { Description = "Only this object (KIND/NAME works too, as in kubectl)", Arity = ArgumentArity.ZeroOrOne };
        var output = ClientCommand.OutputOption("table", "wide", "json", "yaml");
        var watch = new Option<bool>("--watch", "-w") { Description = "After the list, print rows again whenever they change (Ctrl+C stops)" };
        var command = new Command("get", "List objects or containers of a running agent, like kubectl get.") { what, name, output, watch };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var format = parse.GetValue(output)!;
            var typed = parse.GetValue(what)!;
            var only = parse.GetValue(name);
            // kubectl's TYPE/NAME form: `agent get composeproject/web`, as `agent up` and `describe` print it.
            if (only is null && ResourceKinds.SplitReference(typed) is var (kind, named)) (typed, only) = (kind, named);
            var snapshot = await Snapshot.LoadAsync(client, typed, only, ct);
            if (format is "json" or "yaml")
            {
                Console.Write(ClientCommand.Format(snapshot.Json(named: only is not null), format) + (format == "json" ? "\n" : ""));
                return ReportContainersError(snapshot);
            }
            var tables = snapshot.Tables(DateTimeOffset.UtcNow, format == "wide");
            if (snapshot.ContainersError is not null)
            {
                // kubectl prints what it has: the objects are known even while the engine cannot list containers.
                Console.Write(string.Join("\n", tables.Where(t => t.Count > 0).Select(t => t.Render())));
                return ReportContainersError(snapshot);
            }
            if (tables.All(t => t.Count == 0) && !parse.GetValue(watch))
            {
                Console.Error.WriteLine(only is null ? "No resources found." : $"{typed} \"{only}\" not found.");
                return only is null ? 0 : 1;
            }
            var printed = new Dictionary<string, string>();
            var widths = new List<int[]>();
            for (var i = 0; i < tables.Count; i++)
            {
                if (tables[i].Count == 0) continue;
                if (printed.Count > 0) Console.WriteLine();
                Console.Write(tables[i].Render());
                widths.Add(tables[i].Widths());
                foreach (var row in tables[i].Rows) printed[$"{i}:{row[0]}"] = string.Join("\t", row);
            }
            while (parse.GetValue(watch))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                var now = DateTimeOffset.UtcNow;
                var next = (await Snapshot.LoadAsync(client, typed, only, ct)).Tables(now, format == "wide");
                for (var i = 0; i < next.Count; i++)
                {
                    var w = next[i].Widths();
                    foreach (var row in next[i].Rows)
                    {
                        // Age columns change every second: compare rows without them.
                        var key = $"{i}:{row[0]}";
                        var value = string.Join("\t", row.Where((_, c) => next[i].Headers[c] != "AGE"));
                        var old = printed.GetValueOrDefault(key);
                        var oldValue = old is null ? null : string.Join("\t", old.Split('\t').Where((_, c) => next[i].Headers[c] != "AGE"));
                        if (oldValue == value) continue;
                        printed[key] = string.Join("\t", row);
                        Console.WriteLine(Table.Row(w, row));
                    }
                }
            }
            return 0;
        }));
        return command;
    }

    private static int ReportContainersError(Snapshot snapshot)
    {
        if (snapshot.ContainersError is null) return 0;
        Console.Error.WriteLine($"Error: the containers could not be listed, only the objects are shown: {snapshot.ContainersError}");
        return 1;
    }

    /// <summary>One read of what `get` shows: objects of the asked kinds and/or the containers.</summary>
    internal sealed record Snapshot(string Kind, IReadOnlyList<JsonElement> Objects, IReadOnlyList<JsonElement> Containers)
    {
        /// <summary>Why the containers of `get all` could not be listed (the engine failing); the objects are still shown.</summary>
        public string? ContainersError { get; init; }

        public static async Task<Snapshot> LoadAsync(AgentClient client, string typed, string? name, CancellationToken ct)
        {
            var objects = (await client.GetAsync("api/v1/objects", ct)).EnumerateArray().ToList();
            var known = objects.Select(o => ResourceViews.Str(o, "kind")).Distinct().ToList();
            // kubectl's comma list (`get servicegroups,composeprojects`): each kind's rows, shown as `get all` shows them.
            var kinds = typed.Split(',', StringSplitOptions.TrimEntries).Select(part => ResourceKinds.Resolve(part, known)
                ?? throw new AgentApiException($"the agent has no resource type \"{part}\"; try: servicegroups, composeprojects, cronjobs, jobs, gitrepositories, containers, all (or several, comma-separated)"))
                .Distinct().ToList();
            var kind = kinds.Count == 1 ? kinds[0] : ResourceKinds.All;
            List<JsonElement> containers = [];
            string? containersError = null;
            try
            {
                if (kinds.Contains(ResourceKinds.Containers) || kinds.Contains(ResourceKinds.All))
                    containers = (await client.GetAsync("api/v1/containers", ct)).EnumerateArray()
                        .Where(c => name is null || ResourceViews.Str(c, "name") == name).ToList();
            }
            catch (AgentApiException e) when (kind == ResourceKinds.All && !e.Unreachable)
            {
                containersError = e.Message;
            }
            objects = kinds.Contains(ResourceKinds.All) ? objects
                : objects.Where(o => kinds.Any(k => k != ResourceKinds.Containers && ResourceKinds.Lists(k, ResourceViews.Str(o, "kind")))).ToList();
            if (name is not null) objects = objects.Where(o => ResourceViews.Str(o, "name") == name).ToList();
            return new Snapshot(kind, objects, containers) { ContainersError = containersError };
        }

        /// <summary>The answer as JSON: a list, or, for one object asked for by name (`get servicegroup/web -o json`), that
        /// object itself, as kubectl prints it (probe-30: scripts doing `| jq .status` got a one-item list).</summary>
        public JsonElement Json(bool named = false) => named && Kind != ResourceKinds.All && (Kind == ResourceKinds.Containers ? Containers : Objects) is [var single]
            ? single
            : Kind switch
        {
            ResourceKinds.All => CliJson.Element(new Dictionary<string, IReadOnlyList<JsonElement>> { ["objects"] = Objects, ["containers"] = Containers }),
            ResourceKinds.Containers => CliJson.Element(Containers),
            _ => CliJson.Element(Objects),
        };

        public IReadOnlyList<Table> Tables(DateTimeOffset now, bool wide) => Kind switch
        {
            ResourceKinds.All => [.. ObjectTables(now, wide, kindPrefix: true), ResourceViews.Containers(Containers, now, wide, kindPrefix: true)],
            ResourceKinds.Containers => [ResourceViews.Containers(Containers, now, wide, kindPrefix: false)],
            // Jobs from manifests and from the API in one table, as GET /api/v1/jobs lists them (-o wide: SOURCE says which).
            ResourceKinds.JobKind => [JobTables.Jobs(Objects, now, wide, kindPrefix: false)],
            _ => ObjectTables(now, wide, kindPrefix: false),
        };

        private IReadOnlyList<Table> ObjectTables(DateTimeOffset now, bool wide, bool kindPrefix) => JobTables.KindTables(Objects, now, wide, kindPrefix);
    }
}
