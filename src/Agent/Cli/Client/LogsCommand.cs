using System.CommandLine;

namespace Agent.Cli.Client;

/// <summary>`agent logs CONTAINER [-f] [--tail N]`: a managed container's output, followed until Ctrl+C with -f.</summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var container = new Argument<string>("container") { Description = "Container name or id (one of the agent's; see `agent get containers`)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming new lines" };
        var tail = new Option<int?>("--tail")
        {
            Description = "Only the last N lines",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return n;
                result.AddError($"--tail \"{text}\" is not a number of lines: give a whole number, 0 or more (e.g. --tail 20)");
                return null;
            },
        };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Prefix each line with its time" };
        var command = new Command("logs", "Print a container's logs, like kubectl logs.") { container, follow, tail, timestamps };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var query = new List<string>();
            if (parse.GetValue(tail) is { } n)
            {
                if (n < 0) throw new AgentApiException($"--tail {n}: give a number of lines, 0 or more");
                query.Add($"tail={n}");
            }
            if (parse.GetValue(follow)) query.Add("follow=true");
            if (parse.GetValue(timestamps)) query.Add("timestamps=true");
            var path = $"api/v1/containers/{Uri.EscapeDataString(parse.GetValue(container)!)}/logs{(query.Count > 0 ? "?" + string.Join("&", query) : "")}";
            using var response = await client.StreamAsync(path, ct);
            await using var stdout = Console.OpenStandardOutput();
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[8192];
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                await stdout.WriteAsync(buffer.AsMemory(0, read), ct);
                await stdout.FlushAsync(ct);
            }
            return 0;
        }));
        return command;
    }
}
