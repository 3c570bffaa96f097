using Agent.Engine;

namespace Agent.Http;

public static class SystemEndpoints
{
    public static RouteGroupBuilder MapSystemEndpoints(this RouteGroupBuilder api)
    {
        var system = api.MapGroup("/system");
        system.MapGet("/version", async (IContainerEngine engine, CancellationToken ct) => Results.Ok(await engine.GetVersionAsync(ct)))
            .WithSummary("Engine version and API version.");
        system.MapGet("/info", async (IContainerEngine engine, CancellationToken ct) => Results.Ok(await engine.GetInfoAsync(ct)))
            .WithSummary("Engine info: containers, images, CPUs, memory.");
        system.MapGet("/df", async (IContainerEngine engine, CancellationToken ct) =>
        {
            var images = await engine.ListImagesAsync(ct);
            var volumes = await engine.ListVolumesAsync(new LabelSelector([]), ct);
            return Results.Ok(new { images = images.Count, imageBytes = images.Sum(i => i.Size), volumes = volumes.Count });
        }).WithSummary("Disk usage: images and volumes.");
        return api;
    }
}
