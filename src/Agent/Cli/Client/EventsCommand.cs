using System.CommandLine;

namespace Agent.Cli.Client;

/// <summary>`agent events [--watch]`: every object's recent events, oldest first; --watch prints new ones as they happen.</summary>
public static class EventsCommand
{
    public static Command Create()
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Keep printing new events (Ctrl+C stops)" };
        var command = new Command("events", "Recent events of every object, like kubectl get events.") { watch };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var seen = new HashSet<string>();
            var events = await LoadAsync(client, seen, ct);
            var table = ResourceViews.Events(events, DateTimeOffset.UtcNow);
            if (table.Count == 0 && !parse.GetValue(watch)) Console.Error.WriteLine("No events found.");
            else Console.Write(table.Render());
            var widths = table.Widths();
            while (parse.GetValue(watch))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                var next = ResourceViews.Events(await LoadAsync(client, seen, ct), DateTimeOffset.UtcNow);
                foreach (var row in next.Rows) Console.WriteLine(Table.Row(widths, [.. row]));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The events not printed yet (an event is its object, time, reason and message).</summary>
    private static async Task<List<(string Object, System.Text.Json.JsonElement Event)>> LoadAsync(AgentClient client, HashSet<string> seen, CancellationToken ct)
    {
        var objects = (await client.GetAsync("api/v1/objects", ct)).EnumerateArray();
        return ResourceViews.EventsOf(objects)
            .Where(e => seen.Add($"{e.Object}|{ResourceViews.Str(e.Event, "time")}|{ResourceViews.Str(e.Event, "reason")}|{ResourceViews.Str(e.Event, "message")}"))
            .ToList();
    }
}
