using Microsoft.Extensions.Options;
using System.Text.RegularExpressions;
using Agent.Auth;
using Agent.Engine;

namespace Agent.Http;

/// <summary>What runs and what changed inside the agent's own containers: `docker top` and `docker diff`.</summary>
public static partial class ContainerProcessEndpoints
{
    // ps runs on the engine's host with these arguments: options only, never a path or a shell word.
    [GeneratedRegex("^[A-Za-z0-9 ,=_:%+-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex PsArguments();

    public static RouteGroupBuilder MapContainerProcessEndpoints(this RouteGroupBuilder api)
    {
        var containers = api.MapGroup("/containers").AddEndpointFilter(RequestValidation.ContainerId).ScopedToContainer();
        // Operator, not viewer: ps options such as `e` print the processes' environment.
        containers.MapGet("/{id}/top", Top).RequireAuthorization(Roles.Operator).Produces<ProcessTable>()
            .WithSummary("The container's processes like `docker top` (psArgs: ps options, default -ef): titles and one row per process. 409 when it is not running.");
        containers.MapGet("/{id}/changes", Changes).Produces<IReadOnlyList<ChangeView>>()
            .WithSummary("Files added (A), changed (C) and deleted (D) in the container's writable layer, like `docker diff`.");
        return api;
    }

    public sealed record ChangeView(string Path, FileChangeKind Kind, string Code);

    private static async Task<IResult> Top(string id, string? psArgs, OwnedContainers owned, IContainerFilesystem files, CancellationToken ct)
    {
        if (psArgs is not null && !PsArguments().IsMatch(psArgs))
            return ApiProblems.BadRequest($"psArgs=\"{psArgs}\" is not a list of ps options: letters, digits, spaces and , = _ : % + - only (e.g. -ef, aux, -o pid,comm)");
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        if (c.State != Core.Model.ContainerState.Running)
            return Results.Problem(statusCode: 409, title: "Conflict", detail: $"Container {c.Name} is {c.State.ToString().ToLowerInvariant()}, not running: it has no processes. Start it first.");
        try
        {
            return JsonAnswer.Ok(await files.ListProcessesAsync(c.Id, psArgs, ct));
        }
        catch (EngineException e) when (psArgs is not null && e.StatusCode == 500)
        {
            // The engine runs ps on the host with these options and needs a PID column: options ps refuses, or that
            // leave it out (-o args, --no-headers), are the request's to change, not an engine failure (probe-62: a 502).
            return ApiProblems.BadRequest($"psArgs=\"{psArgs}\": the engine could not list the processes with these ps options ({e.Message}); " +
                                          "give options ps takes whose output keeps a PID column, e.g. -ef, aux, -o pid,comm");
        }
    }

    private static async Task<IResult> Changes(string id, OwnedContainers owned, IContainerFilesystem files, IOptions<ContainerFileOptions> options, CancellationToken ct)
    {
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        return JsonAnswer.Ok((await files.GetChangesAsync(c.Id, options.Value.MaxChangesBytes, ct))
            .Select(change => new ChangeView(change.Path, change.Kind, change.Kind switch { FileChangeKind.Added => "A", FileChangeKind.Deleted => "D", _ => "C" })).ToList());
    }
}
