using Agent.Auth;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Sources;

namespace Agent.Http;

/// <summary>Imperative run: one container from a request body, through the same admission as manifests, labelled so the reconciler leaves it alone.</summary>
public static class RunEndpoints
{
    private const long MaxBody = 64 * 1024;

    // Runs have no manifests folder: relative binds resolve under this path and are refused.
    private const string NoManifestFolder = "/nonexistent/agent-run";

    public static RouteGroupBuilder MapRunEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/run", Run).RequireAuthorization(Roles.Admin).Accepts<OpenApiDescriptions.RunBody>("application/json")
            .WithSummary("Create and start a container: {\"service\": {name, image, command, env, ports, volumes, resources, restart, ...}, \"waitFor\": {\"path\": \"/\", \"port\": 8080, \"timeout\": \"30s\"}}.");
        return api;
    }

    private static async Task<IResult> Run(HttpContext http, IContainerEngine engine, AgentLabels labels, SecurityPolicy policy,
        OwnedContainers owned, ILogger<RunRequest> logger, CancellationToken ct)
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            return ApiProblems.BadRequest("send the body as JSON with Content-Type: application/json");
        using var reader = new StreamReader(http.Request.Body);
        var json = await reader.ReadToEndAsync(ct);
        if (json.Length > MaxBody) return ApiProblems.BadRequest($"the body is larger than {MaxBody} bytes");

        var ownContainers = await owned.ListAsync(null, null, null, ct);
        var own = ownContainers.Select(c => c.Name).Concat(ownContainers.Select(c => c.Id)).ToHashSet(StringComparer.Ordinal);
        var files = new ManifestFolder(NoManifestFolder);
        var (request, errors) = RunRequestParser.Parse(json, files, policy, new AdmissionContext(files.ResolveLinks, own.Contains));
        if (request is null)
            return ApiProblems.BadRequest(string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}".TrimStart(':', ' '))),
                new Dictionary<string, object?> { ["errors"] = errors.Select(e => new { field = e.Path, line = e.Line, column = e.Column, message = e.Message }) });

        var service = request.Service;
        var spec = service.Container;
        var present = await engine.InspectImageAsync(spec.Image, ct) is not null;
        if (spec.ImagePullPolicy == PullPolicy.Always || !present)
        {
            if (spec.ImagePullPolicy == PullPolicy.Never) return ApiProblems.BadRequest($"image {spec.Image} is not present and imagePullPolicy is Never");
            await engine.PullImageAsync(spec.Image, null, ct);
        }

        var key = new ObjectKey("Run", service.Name);
        var runLabels = labels.ForReplica(key, service.Name, 1, SpecHash.Of(spec));
        runLabels[labels.Imperative] = "true";
        var id = await engine.CreateContainerAsync(new ContainerCreateRequest(service.Name, spec, runLabels), ct);
        await engine.StartContainerAsync(id, ct);
        logger.LogInformation("Imperative run of {Name} ({Image}) by API", service.Name, spec.Image);
        var details = await engine.InspectContainerAsync(id, ct);
        var ports = details?.Ports.Where(p => p.HostPort is not null).ToList() ?? [];
        var body = new { id, name = service.Name, ports, ready = request.WaitFor is null };

        if (request.WaitFor is { } wait)
        {
            var hostPort = ports.FirstOrDefault(p => p.ContainerPort == wait.Port)?.HostPort;
            if (hostPort is null) return Results.Problem(statusCode: 502, title: "Bad Gateway", detail: $"the engine published no host port for {wait.Port}");
            var ready = await WaitForHttpAsync($"http://127.0.0.1:{hostPort}{wait.Path}", wait.Timeout, ct);
            if (!ready)
                return Results.Problem(statusCode: 504, title: "Gateway Timeout",
                    detail: $"{service.Name} was started but http://127.0.0.1:{hostPort}{wait.Path} did not answer 2xx/3xx within {wait.Timeout.TotalSeconds:0}s; it is left running for inspection (see its logs).",
                    extensions: new Dictionary<string, object?> { ["id"] = id, ["name"] = service.Name });
            body = body with { ready = true };
        }
        return Results.Created($"/api/v1/containers/{id}", body);
    }

    private static async Task<bool> WaitForHttpAsync(string url, TimeSpan timeout, CancellationToken ct)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(url, ct);
                if ((int)response.StatusCode < 400) return true;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        return false;
    }
}
