using System.Text;
using Agent.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Agent.Http;

/// <summary>
/// Kubernetes-style probes: /livez, /readyz and /healthz answer 200 "ok" or 503; `?verbose` lists every
/// check as [+]name ok / [-]name failed: reason (a degraded check passes with a warning: [+]name ok, warning: ...), the
/// reasons only for a caller with a valid token of any role (without one: "reason withheld");
/// `/readyz/NAME` runs one check; `?exclude=NAME` leaves one out.
/// The checks run here, not through HealthCheckService: that one starts every check with Task.Run under a new DI scope,
/// a log scope and a timeout source, which made /livez (one in-memory check) slower than the container list.
/// </summary>
public static class ProbeEndpoints
{
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static RouteGroupBuilder MapProbeEndpoints(this RouteGroupBuilder app)
    {
        MapProbe(app, "livez", ProbeTags.Live);
        MapProbe(app, "readyz", ProbeTags.Ready);
        MapProbe(app, "healthz", null);
        return app;
    }

    private static void MapProbe(RouteGroupBuilder app, string probe, string? tag)
    {
        // HEAD like GET (a load balancer's or uptime checker's probe): same status and headers, Kestrel sends no body.
        app.MapMethods($"/{probe}", GetAndHead, (HttpContext http, IOptions<HealthCheckServiceOptions> checks, CancellationToken ct) =>
            RunAsync(http, checks.Value, probe, tag, only: null, ct)).ExcludeFromDescription();
        app.MapMethods($"/{probe}/{{check}}", GetAndHead, (string check, HttpContext http, IOptions<HealthCheckServiceOptions> checks, CancellationToken ct) =>
            RunAsync(http, checks.Value, probe, tag, only: check, ct)).ExcludeFromDescription();
    }

    private static async Task<IResult> RunAsync(HttpContext http, HealthCheckServiceOptions checks, string probe, string? tag, string? only, CancellationToken ct)
    {
        var excluded = http.Request.Query.TryGetValue("exclude", out var exclude)
            ? exclude.SelectMany(v => (v ?? "").Split(',')).ToHashSet(StringComparer.Ordinal)
            : [];
        var chosen = checks.Registrations
            .Where(r => (tag is null || r.Tags.Contains(tag)) && !excluded.Contains(r.Name) && (only is null || r.Name == only))
            .ToList();
        if (only is not null && chosen.Count == 0)
            return Results.Text($"no check named {only} in /{probe}\n", "text/plain", statusCode: StatusCodes.Status404NotFound);
        var results = await Task.WhenAll(chosen.Select(r => CheckAsync(http.RequestServices, r, ct)));
        var entries = chosen.Select(r => r.Name).Zip(results).ToList();

        var passed = entries.All(e => e.Second.Status != HealthStatus.Unhealthy);
        var verbose = http.Request.Query.ContainsKey("verbose") || !passed;
        // Reasons quote paths and manifest content: only for a caller with a token (kube-apiserver withholds them too).
        var reasons = http.User.Identity?.IsAuthenticated == true;
        var text = new StringBuilder();
        if (verbose)
        {
            foreach (var (name, entry) in entries.OrderBy(e => e.First, StringComparer.Ordinal))
                text.Append(entry.Status switch
                {
                    HealthStatus.Healthy => $"[+]{name} ok\n",
                    HealthStatus.Degraded => $"[+]{name} ok, warning: {(reasons ? entry.Description : "reason withheld")}\n",
                    _ => $"[-]{name} failed: {(reasons ? entry.Description : "reason withheld")}\n",
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

    /// <summary>One check as HealthCheckService runs it: its own timeout, and a throw is its failure status.</summary>
    private static async Task<HealthCheckResult> CheckAsync(IServiceProvider services, HealthCheckRegistration registration, CancellationToken ct)
    {
        using var timeout = registration.Timeout == Timeout.InfiniteTimeSpan ? null : CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout?.CancelAfter(registration.Timeout);
        try
        {
            return await registration.Factory(services).CheckHealthAsync(new HealthCheckContext { Registration = registration }, timeout?.Token ?? ct);
        }
        catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true && !ct.IsCancellationRequested)
        {
            return new HealthCheckResult(registration.FailureStatus, $"did not answer within {registration.Timeout.TotalSeconds:0.#}s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new HealthCheckResult(registration.FailureStatus, e.Message, e);
        }
    }
}
