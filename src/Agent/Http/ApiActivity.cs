namespace Agent.Http;

/// <summary>Counts the requests that are use of the agent (everything but probes and metric scrapes, which come every
/// few seconds from a supervisor or Prometheus and are part of being idle), so the memory release knows when it is quiet.</summary>
public sealed class ApiActivity
{
    private static readonly string[] Routine = ["/livez", "/readyz", "/healthz", "/metrics"];
    private long requests;

    public long Requests => Interlocked.Read(ref requests);

    /// <summary>Probes and the metrics scrape: neither rate limited nor counted as use.</summary>
    public static bool IsRoutine(PathString path) => Routine.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    public void Count(HttpContext http)
    {
        if (!IsRoutine(http.Request.Path)) Interlocked.Increment(ref requests);
    }
}

public static class ApiActivityMiddleware
{
    public static IApplicationBuilder UseApiActivity(this IApplicationBuilder app)
    {
        var activity = app.ApplicationServices.GetRequiredService<ApiActivity>();
        return app.Use((http, next) =>
        {
            activity.Count(http);
            return next(http);
        });
    }
}
