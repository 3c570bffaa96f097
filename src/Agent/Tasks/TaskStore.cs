using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Tasks;

/// <summary>
/// The API's background tasks, in memory only: at most Agent:Images:MaxTasks are kept (the oldest finished ones are
/// forgotten first) and none survives a restart. At most Agent:Images:MaxRunningBuilds run at once; the rest queue.
/// </summary>
public sealed class TaskStore(IOptions<AgentOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<TaskStore> logger)
{
    private readonly object gate = new();
    private readonly List<AgentTask> tasks = [];
    private readonly SemaphoreSlim running = new(Math.Max(1, options.Value.Images.MaxRunningBuilds));

    public IReadOnlyList<AgentTask> All()
    {
        lock (gate) return tasks.ToList();
    }

    public AgentTask? Get(string id)
    {
        lock (gate) return tasks.FirstOrDefault(t => t.Id == id);
    }

    /// <summary>A new task id, for a caller that names the task before it starts it.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    /// <summary>Starts <paramref name="work"/> in the background. It ends when it finishes, fails, the agent stops, or
    /// <paramref name="ct"/> (a synchronous caller that went away) is cancelled.</summary>
    public AgentTask Start(string kind, string subject, Func<AgentTask, CancellationToken, Task<object?>> work, CancellationToken ct, string? id = null)
    {
        var task = new AgentTask(id ?? NewId(), kind, subject, time.GetUtcNow(), Math.Max(1, options.Value.Images.MaxTaskLogLines));
        lock (gate)
        {
            tasks.Add(task);
            var excess = tasks.Count - Math.Max(1, options.Value.Images.MaxTasks);
            foreach (var old in tasks.Where(t => t.IsDone).Take(Math.Max(0, excess)).ToList()) tasks.Remove(old);
        }
        _ = Task.Run(() => RunAsync(task, work, ct), CancellationToken.None);
        return task;
    }

    private async Task RunAsync(AgentTask task, Func<AgentTask, CancellationToken, Task<object?>> work, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping, task.CancelRequested);
        try
        {
            await running.WaitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            task.MarkCancelled(CancelReason(task) + " before it started", time.GetUtcNow());
            return;
        }
        try
        {
            task.MarkRunning(time.GetUtcNow());
            var result = await work(task, stop.Token);
            task.Succeed(result, time.GetUtcNow());
            logger.LogInformation("Task {Task} ({Kind} {Subject}) succeeded", task.Id, task.Kind, task.Subject);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            task.MarkCancelled(CancelReason(task), time.GetUtcNow());
            logger.LogInformation("Task {Task} ({Kind} {Subject}) {Reason}", task.Id, task.Kind, task.Subject, CancelReason(task));
        }
        catch (Exception e) when (e is Engine.EngineException or InvalidDataException or IOException)
        {
            task.Fail(e.Message, time.GetUtcNow());
            logger.LogWarning("Task {Task} ({Kind} {Subject}) failed: {Error}", task.Id, task.Kind, task.Subject, e.Message);
        }
        catch (Exception e)
        {
            task.Fail("failed unexpectedly; the agent's log has the details", time.GetUtcNow());
            logger.LogError(e, "Task {Task} ({Kind} {Subject}) failed", task.Id, task.Kind, task.Subject);
        }
        finally
        {
            running.Release();
        }
    }

    private string CancelReason(AgentTask task) =>
        task.CancelRequested.IsCancellationRequested ? "cancelled through the API"
        : lifetime.ApplicationStopping.IsCancellationRequested ? "cancelled: the agent stopped"
        : "cancelled: the client went away";
}
