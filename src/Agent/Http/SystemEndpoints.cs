using Agent.Engine;

namespace Agent.Http;

public static class SystemEndpoints
{
    public static RouteGroupBuilder MapSystemEndpoints(this RouteGroupBuilder api)
    {
        var system = api.MapGroup("/system");
        system.MapGet("/version", async (IContainerEngine engine, CancellationToken ct) => JsonAnswer.Ok(await engine.GetVersionAsync(ct)))
            .WithSummary("Engine version and API version.");
        system.MapGet("/info", async (IContainerEngine engine, CancellationToken ct) => JsonAnswer.Ok(await engine.GetInfoAsync(ct)))
            .WithSummary("Engine info: containers, images, CPUs, memory.");
        return api;
    }
}
