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
        prune.MapPost("/confirm", async (PruneGate gate, WorkQueue queue, Status.StatusStore status, HttpContext http) =>
        {
            HashSet<string>? only = null;
            if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                var (json, problem) = await ApiProblems.ReadJsonBodyAsync(http.Request, "A prune confirmation", MaxBody, http.RequestAborted);
                if (problem is not null) return problem;
                (only, var error) = Core.Sources.PruneConfirmation.Parse(json!);
                if (error is not null) return ApiProblems.BadRequest(error);
            }
            await gate.RefreshAsync(http.RequestAborted); // never confirm a hold the files have since undone
            var by = http.User.Identity?.Name ?? "an admin";
            var confirmed = gate.Confirm(by, only);
            if (confirmed.Count == 0 && only is not null && View(gate) is { Blocked: true } held)
                return Results.Problem(statusCode: 409, title: "Conflict",
                    detail: $"The mass-prune guard holds {string.Join(", ", held.Objects)} now, not the objects confirmed ({string.Join(", ", only.Order(StringComparer.Ordinal))}): " +
                            "nothing is confirmed. GET /api/v1/prune shows what it holds; confirm those.",
                    extensions: new Dictionary<string, object?> { ["held"] = held.Objects.ToList() });
            if (confirmed.Count == 0)
                return Results.Problem(statusCode: 409, title: "Conflict",
                    detail: "The mass-prune guard holds nothing: there is nothing to confirm. GET /api/v1/prune shows what it holds.");
            foreach (var key in confirmed)
            {
                status.MarkPruneConfirmed(key, by);
                queue.Add(key);
            }
            return JsonAnswer.Ok(new PruneConfirmed(confirmed.Select(k => k.ToString())));
        }).RequireAuthorization(Auth.Roles.Admin)
            .WithSummary("Confirm the removals the mass-prune guard holds: they are pruned now. A later read is judged again. " +
                         "A body {\"objects\": [\"Kind/name\", ...]} confirms only when those are exactly what it holds (else 409, nothing confirmed).");
        return api;
    }

    private const long MaxBody = 64 * 1024;

    private static PruneHold View(PruneGate gate) => gate.Current is { } d
        ? new PruneHold(true, d.Removals.Select(k => k.ToString()), d.Managed, d.Message)
        : new PruneHold(false, [], gate.Managed, "");

    public sealed record PruneHold(bool Blocked, IEnumerable<string> Objects, int Managed, string Message);

    public sealed record PruneConfirmed(IEnumerable<string> Confirmed);
}
