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
            var settled = new SettledExit();
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
                    if (settled.Observe(type, status, o))
                        throw new AgentApiException($"{kind.ToLowerInvariant()}/{name} will not become {type} on its own: " +
                            (SettledExit.Held(o) is { } hold ? $"it is held ({ResourceViews.Str(hold, "reason")}): {ResourceViews.Str(hold, "message")}; {SettledExit.Lift(kind, name, hold)}" : last));
                }
                if (DateTimeOffset.UtcNow >= deadline)
                    throw new AgentApiException($"timed out waiting for the condition {type}={status} on {kind.ToLowerInvariant()}/{name}: {last}");
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }));
        return command;
    }

    /// <summary>
    /// Waiting for Ready=True on an object whose replicas exited and stay so by their restart policy (Ready=False and
    /// Progressing=False, reason Exited: nothing starts them until a user does) ends at once with the reason instead of at
    /// the timeout (probe-18 F8). A status read before the wait began could predate an `agent start` just made, so the
    /// verdict counts only once two later reconciles (two newer lastReconcileTime values) said the same. An object held
    /// (stopped, suspended, down: its Suspended condition True) ends the wait too once it has stayed so for
    /// <see cref="HeldFor"/>: a stopped object is not reconciled again, and `agent start` lifts the hold at once.
    /// </summary>
    public sealed class SettledExit
    {
        private readonly List<string> reconciles = [];
        private DateTimeOffset? heldSince;

        public static readonly TimeSpan HeldFor = TimeSpan.FromSeconds(5);

        /// <summary>How the hold that <paramref name="held"/> (a Suspended condition) names is lifted (probe-23: README
        /// promises "the hold and how to lift it").</summary>
        public static string Lift(string kind, string name, JsonElement held)
        {
            var shown = $"{kind.ToLowerInvariant()}/{name}";
            var message = ResourceViews.Str(held, "message");
            if (message.Contains("spec.suspend", StringComparison.Ordinal) || message.Contains("suspend: true", StringComparison.Ordinal))
                return "remove suspend: true from its manifest to lift it";
            return ResourceViews.Str(held, "reason") == "Down" ? $"agent up {shown} lifts it" : $"agent start {shown} lifts it";
        }

        /// <summary>Ready and Progressing False for a container a user stopped (probe-32 F7: the wait ran to its timeout):
        /// nothing starts it until a user does, as for a held object.</summary>
        private static bool StoppedByUser(JsonElement o) =>
            ResourceViews.Condition(o, "Ready") is { } r && ResourceViews.Str(r, "status") == "False" && ResourceViews.Str(r, "reason") == "StoppedByUser"
            && ResourceViews.Condition(o, "Progressing") is { } p && ResourceViews.Str(p, "status") == "False" && ResourceViews.Str(p, "reason") == "StoppedByUser";

        /// <summary>The object's Suspended condition while it is True.</summary>
        public static JsonElement? Held(JsonElement o) =>
            ResourceViews.Condition(o, "Suspended") is { } s && ResourceViews.Str(s, "status") == "True" ? s : null;

        public bool Observe(string type, string status, JsonElement o, DateTimeOffset? sampled = null)
        {
            if (type == "Ready" && status == "True" && (Held(o) is not null || StoppedByUser(o)))
            {
                var now = sampled ?? DateTimeOffset.UtcNow;
                heldSince ??= now;
                return now - heldSince >= HeldFor;
            }
            heldSince = null;
            var ready = ResourceViews.Condition(o, "Ready");
            var progressing = ResourceViews.Condition(o, "Progressing");
            var exited = type == "Ready" && status == "True"
                && ready is { } r && ResourceViews.Str(r, "status") == "False" && ResourceViews.Str(r, "reason") == "Exited"
                && progressing is { } p && ResourceViews.Str(p, "status") == "False" && ResourceViews.Str(p, "reason") == "Exited";
            if (!exited)
            {
                reconciles.Clear();
                return false;
            }
            var at = ResourceViews.Str(o, "lastReconcileTime");
            if (at.Length > 0 && !reconciles.Contains(at)) reconciles.Add(at);
            return reconciles.Count >= 3;
        }
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
