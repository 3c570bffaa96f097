using System.CommandLine;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>`agent get servicegroups|composeprojects|cronjobs|containers|all [-o wide|json|yaml] [--watch]`, like kubectl get.</summary>
public static class GetCommand
{
    public static Command Create()
    {
        var what = new Argument<string>("kind") { Description = "servicegroups, composeprojects, cronjobs, jobs, gitrepositories, containers, all (any kind the agent lists; singular works too)" };
        var name = new Argument<string[]>("name") { Description = "Only these objects (KIND/NAME works too, as in kubectl: `get sg/a cp/b`)", Arity = ArgumentArity.ZeroOrMore };
        var output = ClientCommand.OutputOption("table", "wide", "json", "yaml");
        var watch = new Option<bool>("--watch", "-w") { Description = "After the list, print rows again whenever they change (Ctrl+C stops)" };
        var command = new Command("get", "List objects or containers of a running agent, like kubectl get.") { what, name, output, watch };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var format = parse.GetValue(output)!;
            var typed = parse.GetValue(what)!;
            // kubectl's TYPE/NAME form (`agent get composeproject/web`, as `agent up` and `describe` print it), several too.
            if (Requested(typed, parse.GetValue(name) ?? []) is not var (kinds, only)) return 1;
            typed = kinds;
            var snapshot = await Snapshot.LoadAsync(client, typed, only, ct);
            if (format is "json" or "yaml")
            {
                Console.Write(ClientCommand.Format(snapshot.Json(named: only is [_]), format) + (format == "json" ? "\n" : ""));
                return ReportContainersError(snapshot) | ReportNotFound(snapshot, only);
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
                if (only is null) Console.Error.WriteLine("No resources found.");
                return ReportNotFound(snapshot, only);
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
            var missing = ReportNotFound(snapshot, only); // kubectl: the rows it found, then an error for each name it did not
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
            return missing;
        }));
        return command;
    }

    /// <summary>The kinds and names asked for: `KIND [NAME...]`, or kubectl's `KIND/NAME [KIND/NAME...]` (each name then
    /// only of its own kind); null, having said why, for a mix of the two.</summary>
    private static (string Kinds, IReadOnlyList<Named>? Names)? Requested(string typed, IReadOnlyList<string> names)
    {
        if (ResourceKinds.SplitReference(typed) is not var (kind, first))
            return (typed, names.Count == 0 ? null : names.Distinct(StringComparer.Ordinal).Select(n => new Named(null, n)).ToList());
        var references = new List<Named> { new(kind, first) };
        foreach (var reference in names)
        {
            if (ResourceKinds.SplitReference(reference) is not var (k, n))
            {
                Console.Error.WriteLine($"error: arguments in resource/name form must all be KIND/NAME (\"{reference}\" follows \"{typed}\")");
                return null;
            }
            references.Add(new Named(k, n));
        }
        return (string.Join(",", references.Select(r => r.Kind).Distinct(StringComparer.OrdinalIgnoreCase)), references.Distinct().ToList());
    }

    /// <summary>A name asked for, and the kind it was asked with (KIND/NAME), if any.</summary>
    internal sealed record Named(string? Kind, string Name);

    /// <summary>kubectl's error for each name asked for that is not there; 1 when any is missing.</summary>
    private static int ReportNotFound(Snapshot snapshot, IReadOnlyList<Named>? only)
    {
        if (only is null) return 0;
        var missing = only.Where(n => !snapshot.Found(n)).ToList();
        foreach (var n in missing) Console.Error.WriteLine($"Error: {snapshot.KindShown(n.Kind ?? snapshot.Typed)} \"{n.Name}\" not found.");
        return missing.Count == 0 ? 0 : 1;
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

        /// <summary>The kind (or comma list of kinds) as typed.</summary>
        public string Typed { get; init; } = "";

        private IReadOnlyList<string> KnownKinds { get; init; } = [];

        /// <summary>A kind as kubectl names it in errors, whatever alias was typed (sg: servicegroups).</summary>
        public string KindShown(string typed) =>
            typed.Contains(',') ? typed : ResourceKinds.Resolve(typed, KnownKinds) is { } kind && kind != ResourceKinds.All ? ResourceKinds.Plural(kind) : typed;

        /// <summary>Whether the object or container <paramref name="n"/> names is in this read.</summary>
        public bool Found(Named n) =>
            Objects.Any(o => Matches(n, o, KnownKinds)) || Containers.Any(c => ResourceViews.Str(c, "name") == n.Name && (n.Kind is null || ResourceKinds.Resolve(n.Kind, KnownKinds) is ResourceKinds.Containers));

        private static bool Matches(Named n, JsonElement o, IReadOnlyList<string> known) =>
            ResourceViews.Str(o, "name") == n.Name
            && (n.Kind is null || ResourceKinds.Resolve(n.Kind, known) is { } k && (k == ResourceKinds.All || ResourceKinds.Lists(k, ResourceViews.Str(o, "kind"))));

        public static async Task<Snapshot> LoadAsync(AgentClient client, string typed, IReadOnlyList<Named>? names, CancellationToken ct)
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
                        .Where(c => names is null || names.Any(n => n.Name == ResourceViews.Str(c, "name"))).ToList();
            }
            catch (AgentApiException e) when (kind == ResourceKinds.All && !e.Unreachable)
            {
                containersError = e.Message;
            }
            objects = kinds.Contains(ResourceKinds.All) ? objects
                : objects.Where(o => kinds.Any(k => k != ResourceKinds.Containers && ResourceKinds.Lists(k, ResourceViews.Str(o, "kind")))).ToList();
            if (names is not null) objects = objects.Where(o => names.Any(n => Matches(n, o, known))).ToList();
            return new Snapshot(kind, objects, containers) { ContainersError = containersError, Typed = typed, KnownKinds = known };
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
