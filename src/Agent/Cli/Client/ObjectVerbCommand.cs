using System.CommandLine;

namespace Agent.Cli.Client;

/// <summary>`agent stop|start|restart servicegroup/NAME`: the group verbs of the API (stop persists, start clears it).</summary>
public static class ObjectVerbCommand
{
    public static Command Create(string verb, string description)
    {
        var reference = new Argument<string>("object") { Description = "KIND/NAME, e.g. servicegroup/core" };
        var command = new Command(verb, description) { reference };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var (typed, name) = ObjectReference.Parse(parse.GetValue(reference)!, null);
            var kind = ResourceKinds.Resolve(typed, []) ?? typed;
            if (kind is ResourceKinds.Containers or ResourceKinds.All)
                throw new AgentApiException($"{verb} takes an object such as servicegroup/NAME");
            await client.PostAsync($"api/v1/{ResourceKinds.Plural(kind)}/{Uri.EscapeDataString(name)}/{verb}", ct);
            Console.WriteLine($"{kind.ToLowerInvariant()}/{name} {Past(verb)}");
            return 0;
        }));
        return command;
    }

    private static string Past(string verb) => verb switch { "stop" => "stopped", "start" => "started", "restart" => "restarted", _ => verb };
}
