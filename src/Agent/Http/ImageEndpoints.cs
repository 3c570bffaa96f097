using Agent.Auth;
using Agent.Core.Security;
using Agent.Engine;

namespace Agent.Http;

public static class ImageEndpoints
{
    public static RouteGroupBuilder MapImageEndpoints(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("/images");
        images.MapGet("/", async (IContainerEngine engine, CancellationToken ct) => Results.Ok(await engine.ListImagesAsync(ct)))
            .WithSummary("List images.");
        images.MapPost("/pull", async (HttpContext http, string image, IContainerEngine engine, CancellationToken ct) =>
        {
            if (Identifiers.Image(image) != IdentifierCheck.Valid)
            {
                await ApiProblems.BadRequest("image=NAME[:TAG] is required").ExecuteAsync(http);
                return;
            }
            http.Response.ContentType = "text/plain; charset=utf-8";
            try
            {
                await engine.PullImageAsync(image, new SynchronousProgress(async line =>
                {
                    await http.Response.WriteAsync(line + "\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                }), ct);
                await http.Response.WriteAsync($"pulled {image}\n", ct);
            }
            catch (EngineException e) when (http.Response.HasStarted)
            {
                await http.Response.WriteAsync($"error: {e.Message}\n", ct);
            }
            catch (EngineException e)
            {
                await ApiProblems.From(e).ExecuteAsync(http);
            }
        }).RequireAuthorization(Roles.Admin).WithSummary("Pull an image; progress is streamed as text lines.");
        images.MapDelete("/{*image}", async (string image, bool? force, IContainerEngine engine, CancellationToken ct) =>
        {
            switch (Identifiers.Image(image))
            {
                case IdentifierCheck.Malformed: return ApiProblems.BadRequest("the image reference contains a control character (NUL?)");
                case IdentifierCheck.CannotExist: return ApiProblems.NotFound($"\"{image}\" is not an image reference");
            }
            await engine.RemoveImageAsync(image, force ?? false, ct);
            return Results.Ok(new { image, result = "removed" });
        }).RequireAuthorization(Roles.Admin).WithSummary("Remove an image.");
        images.MapPost("/prune", async (IContainerEngine engine, CancellationToken ct) => Results.Ok(await engine.PruneImagesAsync(ct)))
            .RequireAuthorization(Roles.Admin).WithSummary("Remove dangling images.");
        return api;
    }

    private sealed class SynchronousProgress(Func<string, Task> report) : IProgress<string>
    {
        public void Report(string value) => report(value).GetAwaiter().GetResult();
    }
}
