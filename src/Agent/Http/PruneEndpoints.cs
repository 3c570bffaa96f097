using Agent.Reconciliation;

namespace Agent.Http;

/// <summary>The mass-prune guard: what it holds, and an admin's confirmation to go ahead.</summary>
public static class PruneEndpoints
{
    public static RouteGroupBuilder MapPruneEndpoints(this RouteGroupBuilder api)
    {
        var prune = api.MapGroup("/prune");
        prune.MapGet("", async (PruneGate gate, CancellationToken ct) =>
            {
                await gate.RefreshAsync(ct);
                return JsonAnswer.Ok(View(gate));
            })
            .WithSummary("Removals held by the mass-prune guard (empty when nothing is held).");
        prune.MapPost("/confirm", async (PruneGate gate, WorkQueue queue, HttpContext http) =>
        {
            HashSet<string>? only = null;
            if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                var (json, problem) = await ApiProblems.ReadJsonBodyAsync(http.Request, "A prune confirmation", MaxBody, http.RequestAborted);
                if (problem is not null) return problem;
                (only, var error) = ObjectsOf(json!);
                if (error is not null) return ApiProblems.BadRequest(error);
            }
            await gate.RefreshAsync(http.RequestAborted); // never confirm a hold the files have since undone
            var confirmed = gate.Confirm(http.User.Identity?.Name ?? "an admin", only);
            if (confirmed.Count == 0 && only is not null && View(gate) is { Blocked: true } held)
                return Results.Problem(statusCode: 409, title: "Conflict",
                    detail: $"The mass-prune guard holds {string.Join(", ", held.Objects)} now, not the objects confirmed ({string.Join(", ", only.Order(StringComparer.Ordinal))}): " +
                            "nothing is confirmed. GET /api/v1/prune shows what it holds; confirm those.",
                    extensions: new Dictionary<string, object?> { ["held"] = held.Objects.ToList() });
            if (confirmed.Count == 0)
                return Results.Problem(statusCode: 409, title: "Conflict",
                    detail: "The mass-prune guard holds nothing: there is nothing to confirm. GET /api/v1/prune shows what it holds.");
            foreach (var key in confirmed) queue.Add(key);
            return JsonAnswer.Ok(new PruneConfirmed(confirmed.Select(k => k.ToString())));
        }).RequireAuthorization(Auth.Roles.Admin)
            .WithSummary("Confirm the removals the mass-prune guard holds: they are pruned now. A later read is judged again. " +
                         "A body {\"objects\": [\"Kind/name\", ...]} confirms only when those are exactly what it holds (else 409, nothing confirmed).");
        return api;
    }

    private const long MaxBody = 64 * 1024;

    /// <summary>The objects of a confirmation's body <c>{"objects": ["Kind/name", ...]}</c>, or why it is not one.</summary>
    private static (HashSet<string>? Objects, string? Error) ObjectsOf(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != System.Text.Json.JsonValueKind.Object) return (null, "the body must be an object: {\"objects\": [\"Kind/name\", ...]}");
        var objects = new HashSet<string>(StringComparer.Ordinal);
        var seen = false;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "objects") return (null, $"{property.Name}: unknown field; the body is {{\"objects\": [\"Kind/name\", ...]}}");
            if (seen) return (null, "objects: given twice");
            seen = true;
            if (property.Value.ValueKind != System.Text.Json.JsonValueKind.Array) return (null, "objects: must be a list of \"Kind/name\" (as GET /api/v1/prune lists them)");
            foreach (var item in property.Value.EnumerateArray())
            {
                if (item.ValueKind != System.Text.Json.JsonValueKind.String || item.GetString() is not { Length: > 0 } name || !name.Contains('/'))
                    return (null, "objects: each is \"Kind/name\" (as GET /api/v1/prune lists them)");
                objects.Add(name);
            }
        }
        return seen ? (objects, null) : (null, "objects: required; the body is {\"objects\": [\"Kind/name\", ...]}");
    }

    private static PruneHold View(PruneGate gate) => gate.Current is { } d
        ? new PruneHold(true, d.Removals.Select(k => k.ToString()), d.Managed, d.Message)
        : new PruneHold(false, [], gate.Managed, "");

    public sealed record PruneHold(bool Blocked, IEnumerable<string> Objects, int Managed, string Message);

    public sealed record PruneConfirmed(IEnumerable<string> Confirmed);
}
