using System.Text;
using Agent.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Agent.Http;

/// <summary>
/// Kubernetes-style probes: /livez, /readyz and /healthz answer 200 "ok" or 503; `?verbose` lists every
/// check as [+]name ok / [-]name failed: reason (a degraded check passes with a warning: [+]name ok, warning: ...);
/// `/readyz/NAME` runs one check; `?exclude=NAME` leaves one out.
/// </summary>
public static class ProbeEndpoints
{
    public static RouteGroupBuilder MapProbeEndpoints(this RouteGroupBuilder app)
    {
        MapProbe(app, "livez", ProbeTags.Live);
        MapProbe(app, "readyz", ProbeTags.Ready);
        MapProbe(app, "healthz", null);
        return app;
    }

    private static void MapProbe(RouteGroupBuilder app, string probe, string? tag)
    {
        app.MapGet($"/{probe}", (HttpContext http, HealthCheckService health, CancellationToken ct) =>
            RunAsync(http, health, probe, tag, only: null, ct)).ExcludeFromDescription();
        app.MapGet($"/{probe}/{{check}}", (string check, HttpContext http, HealthCheckService health, CancellationToken ct) =>
            RunAsync(http, health, probe, tag, only: check, ct)).ExcludeFromDescription();
    }

    private static async Task<IResult> RunAsync(HttpContext http, HealthCheckService health, string probe, string? tag, string? only, CancellationToken ct)
    {
        var excluded = http.Request.Query["exclude"].SelectMany(v => (v ?? "").Split(',')).ToHashSet(StringComparer.Ordinal);
        var report = await health.CheckHealthAsync(
            r => (tag is null || r.Tags.Contains(tag)) && !excluded.Contains(r.Name) && (only is null || r.Name == only), ct);
        if (only is not null && report.Entries.Count == 0)
            return Results.Text($"no check named {only} in /{probe}\n", "text/plain", statusCode: StatusCodes.Status404NotFound);

        var passed = report.Entries.Values.All(e => e.Status != HealthStatus.Unhealthy);
        var verbose = http.Request.Query.ContainsKey("verbose") || !passed;
        var text = new StringBuilder();
        if (verbose)
        {
            foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                text.Append(entry.Status switch
                {
                    HealthStatus.Healthy => $"[+]{name} ok\n",
                    HealthStatus.Degraded => $"[+]{name} ok, warning: {entry.Description}\n",
                    _ => $"[-]{name} failed: {entry.Description}\n",
                });
            foreach (var name in excluded.Order(StringComparer.Ordinal)) text.Append($"[+]{name} excluded: ok\n");
            text.Append(passed ? $"{probe} check passed\n" : $"{probe} check failed\n");
        }
        else
        {
            text.Append("ok");
        }
        return Results.Text(text.ToString(), "text/plain; charset=utf-8",
            statusCode: passed ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
