using System.CommandLine;
using System.Text;
using System.Text.Json;
using static Agent.Cli.Client.ClientVerbs;

namespace Agent.Cli.Client;

/// <summary>`agent prune show|confirm`: what the mass-prune guard holds, and an admin's confirmation of exactly that
/// (GET /api/v1/prune, POST /api/v1/prune/confirm with the objects named, so a set that grew meanwhile is not confirmed).</summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var output = ClientCommand.OutputOption("text", "json", "yaml");
        var objects = new Argument<string[]>("objects") { Description = "The held objects to confirm, as KIND/NAME (default: those held now, listed first)", Arity = ArgumentArity.ZeroOrMore };
        return Group("prune", "The removals the mass-prune guard holds (Agent:PruneGuard), and their confirmation.",
            Verb("show", "What the mass-prune guard holds now, and why.", [output], async (parse, client, ct) =>
            {
                var hold = await client.GetAsync(Path("prune"), ct);
                if (parse.GetValue(output) != "text") return Print(hold, parse.GetValue(output)!);
                Console.WriteLine(Held(hold) is [_, ..] held
                    ? $"held: {string.Join(", ", held)}\n{ResourceViews.Str(hold, "message")}\nconfirm with: agent prune confirm {string.Join(' ', held)}"
                    : "nothing is held");
                return 0;
            }),
            Verb("confirm", "Remove what the guard holds, now (admin). Confirms only when the objects are exactly those held: a set that changed is refused, nothing removed.",
                [objects, output], async (parse, client, ct) =>
            {
                var named = parse.GetValue(objects) ?? [];
                if (named.Length == 0)
                {
                    named = Held(await client.GetAsync(Path("prune"), ct)).ToArray();
                    if (named.Length == 0)
                    {
                        Console.Error.WriteLine("nothing is held: there is nothing to confirm");
                        return 1;
                    }
                    if (parse.GetValue(output) == "text") Console.WriteLine($"held now: {string.Join(", ", named)}");
                }
                var body = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string[]> { ["objects"] = named }), Encoding.UTF8, "application/json");
                var confirmed = await client.SendAsync(HttpMethod.Post, Path("prune", "confirm"), body, ct);
                if (parse.GetValue(output) != "text") return Print(confirmed, parse.GetValue(output)!);
                Console.WriteLine($"confirmed: {string.Join(", ", confirmed.GetProperty("confirmed").EnumerateArray().Select(e => e.GetString()))}: they are pruned now (agent get all shows it)");
                return 0;
            }));
    }

    private static List<string> Held(JsonElement hold) =>
        hold.TryGetProperty("blocked", out var blocked) && blocked.ValueKind == JsonValueKind.True && hold.TryGetProperty("objects", out var list)
            ? list.EnumerateArray().Select(e => e.GetString()).OfType<string>().ToList()
            : [];
}
