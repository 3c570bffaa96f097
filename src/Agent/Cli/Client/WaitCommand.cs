using System.CommandLine;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>`agent wait servicegroup/NAME --for=condition=Ready [--timeout 2m]`: exit 0 once the condition holds, 1 at the timeout.</summary>
public static class WaitCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("object") { Description = "KIND/NAME, e.g. servicegroup/core" };
        var condition = new Option<string>("--for") { Description = "condition=TYPE or condition=TYPE=True|False (default status True)", Required = true };
        var timeout = DurationOption.Create("--timeout", "How long to wait", TimeSpan.FromSeconds(30));
        var command = new Command("wait", "Wait for a condition on an object, like kubectl wait.") { reference, condition, timeout };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var (typed, name) = ObjectReference.Parse(parse.GetValue(reference)!, null);
            var (type, status) = ParseFor(parse.GetValue(condition)!);
            var deadline = DateTimeOffset.UtcNow + parse.GetValue(timeout);
            var last = "the object does not exist yet";
            var kind = typed;
            while (true)
            {
                JsonElement? found;
                try
                {
                    (found, kind) = await ObjectReference.FindAsync(client, typed, name, ct);
                }
                catch (AgentApiException e) when (e.Unreachable && DateTimeOffset.UtcNow < deadline)
                {
                    // The agent may be starting (agent run & then agent wait): keep trying until the timeout.
                    last = e.Message;
                    await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                    continue;
                }
                if (found is { } o)
                {
                    var c = ResourceViews.Condition(o, type);
                    if (c is { } held && string.Equals(ResourceViews.Str(held, "status"), status, StringComparison.OrdinalIgnoreCase))
                    {
                        Console.WriteLine($"{kind.ToLowerInvariant()}/{name} condition met");
                        return 0;
                    }
                    last = c is { } now
                        ? $"{type} is {ResourceViews.Str(now, "status")}: {ResourceViews.Str(now, "reason")}: {ResourceViews.Str(now, "message")}"
                        : $"it has no {type} condition yet";
                }
                if (DateTimeOffset.UtcNow >= deadline)
                    throw new AgentApiException($"timed out waiting for the condition {type}={status} on {kind.ToLowerInvariant()}/{name}: {last}");
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }));
        return command;
    }

    public static (string Type, string Status) ParseFor(string text)
    {
        const string prefix = "condition=";
        if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || text.Length == prefix.Length)
            throw new AgentApiException($"--for \"{text}\": use condition=Ready (or condition=Ready=False)");
        var parts = text[prefix.Length..].Split('=', 2);
        var status = parts.Length == 2 ? parts[1] : "True";
        if (!status.Equals("True", StringComparison.OrdinalIgnoreCase) && !status.Equals("False", StringComparison.OrdinalIgnoreCase))
            throw new AgentApiException($"--for \"{text}\": the status after the condition is True or False");
        return (parts[0], status.Equals("True", StringComparison.OrdinalIgnoreCase) ? "True" : "False");
    }
}
