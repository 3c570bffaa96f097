using System.CommandLine;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>`agent describe servicegroup NAME` (or servicegroup/NAME): conditions, services, containers with ports and health, events.</summary>
public static class DescribeCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "servicegroup (any kind the agent lists), or kind/name" };
        var name = new Argument<string?>("name") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("describe", "Show one object in detail, like kubectl describe.") { kind, name };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var (typed, objectName) = ObjectReference.Parse(parse.GetValue(kind)!, parse.GetValue(name));
            var (found, resolvedKind) = await ObjectReference.FindAsync(client, typed, objectName, ct);
            if (found is null && resolvedKind == ResourceKinds.JobKind && await ObjectReference.IsCronJobAsync(client, objectName, ct))
            {
                var shown = Core.TerminalText.Escape(objectName);
                throw new AgentApiException($"{resolvedKind} \"{shown}\" not found: {shown} is a CronJob (agent describe cronjob/{shown})", 404);
            }
            if (found is null && resolvedKind == ResourceKinds.JobKind && await ObjectReference.IsCronJobRunAsync(client, objectName, ct))
                throw new AgentApiException(await ObjectReference.JobNotFoundAsync(client, objectName, ct), 404);
            if (found is not { } o) throw new AgentApiException($"{resolvedKind} \"{Core.TerminalText.Escape(objectName)}\" not found; list them with `agent get {ResourceKinds.Plural(resolvedKind)}`", 404);
            if (resolvedKind == GitRepositoryTables.Kind)
            {
                Console.Write(Core.TerminalText.Escape(ResourceViews.Describe(o, [], DateTimeOffset.UtcNow), keepLineFeeds: true));
                return 0;
            }
            if (JobTables.HasOwnTable(resolvedKind))
            {
                var path = resolvedKind == "CronJob" ? "cronjobs" : "jobs";
                var detail = await client.GetAsync($"api/v1/{path}/{Uri.EscapeDataString(objectName)}", ct);
                Console.Write(Core.TerminalText.Escape(ResourceViews.Describe(o, [], DateTimeOffset.UtcNow, detail), keepLineFeeds: true));
                return 0;
            }
            var containers = (await client.GetAsync($"api/v1/containers?group={Uri.EscapeDataString(objectName)}", ct)).EnumerateArray()
                .Where(c => ResourceViews.Str(c, "kind") is var k && (k.Length == 0 || k == resolvedKind)).ToList();
            Console.Write(Core.TerminalText.Escape(ResourceViews.Describe(o, containers, DateTimeOffset.UtcNow), keepLineFeeds: true));
            return 0;
        }));
        return command;
    }
}

/// <summary>"servicegroup/core" or "servicegroup core", resolved against the server's objects.</summary>
public static class ObjectReference
{
    public static (string Kind, string Name) Parse(string first, string? second)
    {
        var (kind, name) = second is not null ? (first, second)
            : ResourceKinds.SplitReference(first) ?? throw new AgentApiException($"\"{first}\": name an object as KIND/NAME (servicegroup/core) or KIND NAME");
        // probe-63: "servicegroup/db,web" was sent as one name, and a scoped token's 403 named "ServiceGroup/db,web".
        if (name.Contains(','))
            throw new AgentApiException($"\"{Agent.Core.TerminalText.Escape(name)}\" names several objects: give one (KIND/NAME), and run the command once for each");
        return (kind, name);
    }

    public static async Task<(JsonElement? Object, string Kind)> FindAsync(AgentClient client, string typed, string name, CancellationToken ct)
    {
        var objects = (await client.GetAsync("api/v1/objects", ct)).EnumerateArray().ToList();
        var kind = ResourceKinds.Resolve(typed, objects.Select(o => ResourceViews.Str(o, "kind")).Distinct());
        if (kind is null or ResourceKinds.Containers or ResourceKinds.All)
            throw new AgentApiException($"the agent has no object kind \"{typed}\"; try: servicegroup, composeproject, cronjob, job, gitrepository");
        JsonElement? Find(string k) => objects.Where(o => ResourceViews.Str(o, "kind") == k && ResourceViews.Str(o, "name") == name).Select(o => (JsonElement?)o).FirstOrDefault();
        var found = Find(kind);
        // job/ID also names a job made through the API (kind ApiJob), as `agent get jobs` lists it (probe-17 F7).
        if (found is null && kind == ResourceKinds.JobKind && Find(ResourceKinds.ApiJobKind) is { } apiJob) return (apiJob, ResourceKinds.ApiJobKind);
        return (found, kind);
    }

    /// <summary>Whether a CronJob has a run, active or kept, of that id (its runs are Jobs in Kubernetes, so their ids are
    /// given as job/ID).</summary>
    public static async Task<bool> IsCronJobRunAsync(AgentClient client, string id, CancellationToken ct) =>
        LogsCommand.IsCronJobRun(await client.GetAsync("api/v1/cronjobs", ct), id);

    /// <summary>The agent's own answer for a Job id it does not have (GET /jobs/ID's 404: for a CronJob run's id, whose run
    /// it is and where its output is), made safe for a terminal.</summary>
    public static async Task<string> JobNotFoundAsync(AgentClient client, string id, CancellationToken ct)
    {
        try
        {
            await client.GetAsync($"api/v1/jobs/{Uri.EscapeDataString(id)}", ct);
            return $"Job \"{Core.TerminalText.Escape(id)}\" not found";
        }
        catch (AgentApiException e) when (e.Status == 404)
        {
            return Core.TerminalText.Escape(e.Message);
        }
    }

    /// <summary>Whether a CronJob has that name: job/NAME given for one is told so (its runs are Jobs in Kubernetes).</summary>
    public static async Task<bool> IsCronJobAsync(AgentClient client, string name, CancellationToken ct)
    {
        try
        {
            await client.GetAsync($"api/v1/cronjobs/{Uri.EscapeDataString(name)}", ct);
            return true;
        }
        catch (AgentApiException e) when (e.Status == 404)
        {
            return false;
        }
    }
}
