using Agent.Auth;
using Agent.Tasks;

namespace Agent.Http;

/// <summary>Background tasks started through the API (async builds). Kept in memory only: the last Agent:Images:MaxTasks,
/// gone after a restart.</summary>
public static class TaskEndpoints
{
    public static RouteGroupBuilder MapTaskEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks").RequireAuthorization(Roles.Operator);
        group.MapGet("/", (TaskStore tasks) => JsonAnswer.Ok(tasks.All().Select(View)))
            .WithSummary("The tasks the agent keeps in memory (the last Agent:Images:MaxTasks), newest last.");
        group.MapGet("/{id}", (string id, TaskStore tasks) => tasks.Get(id) is { } task ? JsonAnswer.Ok(View(task)) : NoTask(id))
            .WithSummary("A task's state (queued, running, succeeded, failed), result and error.");
        group.MapGet("/{id}/logs", (string id, bool? follow, TaskStore tasks) =>
                tasks.Get(id) is { } task ? new BuildEndpoints.TaskLogResult(task, follow ?? false) : NoTask(id))
            .WithSummary("A task's output as NDJSON ({\"stream\"} lines, then {\"result\"} or {\"error\"} once done); follow=true streams until it ends.");
        group.MapPost("/{id}/cancel", Cancel).RequireAuthorization(Roles.Admin)
            .WithSummary("Cancel a queued or running task (a build: the builder stops and its step container is removed); it ends cancelled. 409 when it has already ended.");
        return api;
    }

    private static async Task<IResult> Cancel(string id, TaskStore tasks, CancellationToken ct)
    {
        if (tasks.Get(id) is not { } task) return NoTask(id);
        if (task.IsDone) return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Task \"{id}\" has already ended ({task.State.ToString().ToLowerInvariant()}); nothing to cancel.");
        task.Cancel();
        await task.WhenDoneAsync(ct); // a build ends once its step container is removed: seconds, not minutes
        return JsonAnswer.Ok(View(task));
    }

    public static TaskView View(AgentTask task) =>
        new(task.Id, task.Kind, task.Subject, task.State, task.Created, task.Started, task.Finished, task.Result, task.Error, task.DroppedLines, $"/api/v1/tasks/{task.Id}/logs");

    /// <summary>A task as the API shows it; <see cref="Result"/> is what the task's kind produces (a build: BuildResult).</summary>
    public sealed record TaskView(string Id, string Kind, string Subject, TaskState State, DateTimeOffset Created, DateTimeOffset? Started,
        DateTimeOffset? Finished, object? Result, string? Error, long DroppedLogLines, string Logs);

    private static IResult NoTask(string id) =>
        ApiProblems.NotFound($"No task \"{ApiProblems.Shown(id)}\": tasks live in memory, the last Agent:Images:MaxTasks of them, and none survives a restart of the agent. List them with GET /api/v1/tasks.");
}
