using System.Runtime.CompilerServices;

namespace Agent.Tasks;

public enum TaskState { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>
/// A long operation started through the API (an image build): its state, result or error, and its log lines. The log
/// keeps the last <c>maxLines</c> lines; readers that follow it see every line appended while they read.
/// </summary>
public sealed class AgentTask(string id, string kind, string subject, DateTimeOffset created, int maxLines)
{
    private readonly object gate = new();
    private readonly Queue<string> lines = new();
    private long dropped;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource cancellation = new();
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;
    public string Kind { get; } = kind;
    public string Subject { get; } = subject;
    public DateTimeOffset Created { get; } = created;
    public TaskState State { get; private set; } = TaskState.Queued;
    public DateTimeOffset? Started { get; private set; }
    public DateTimeOffset? Finished { get; private set; }
    public object? Result { get; private set; }
    public string? Error { get; private set; }
    public bool IsDone => State is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled;

    /// <summary>Cancelled through the API (POST /tasks/{id}/cancel).</summary>
    public CancellationToken CancelRequested => cancellation.Token;

    public long DroppedLines
    {
        get { lock (gate) return dropped; }
    }

    public void Append(string line) => Update(() =>
    {
        lines.Enqueue(line);
        if (lines.Count > maxLines)
        {
            lines.Dequeue();
            dropped++;
        }
    });

    public void MarkRunning(DateTimeOffset now) => Update(() => (State, Started) = (TaskState.Running, now));

    public void Succeed(object? result, DateTimeOffset now) => End(() => (State, Result, Finished) = (TaskState.Succeeded, result, now));

    public void Fail(string error, DateTimeOffset now) => End(() => (State, Error, Finished) = (TaskState.Failed, error, now));

    public void MarkCancelled(string reason, DateTimeOffset now) => End(() => (State, Error, Finished) = (TaskState.Cancelled, reason, now));

    public Task WhenDoneAsync(CancellationToken ct) => done.Task.WaitAsync(ct);

    /// <summary>Asks the work to stop; the task ends Cancelled once it has (a build after removing its step container).</summary>
    public void Cancel() => cancellation.Cancel();

    /// <summary>The kept lines, then (when <paramref name="follow"/>) every new one until the task is done.</summary>
    public async IAsyncEnumerable<string> ReadLinesAsync(bool follow, [EnumeratorCancellation] CancellationToken ct)
    {
        long next = 0; // absolute index of the next line to give
        while (true)
        {
            string[] batch;
            bool done;
            Task wait;
            lock (gate)
            {
                var first = dropped;
                if (next < first) next = first;
                batch = lines.Skip((int)(next - first)).ToArray();
                next += batch.Length;
                done = IsDone;
                wait = changed.Task;
            }
            foreach (var line in batch) yield return line;
            if (done || !follow) yield break;
            await wait.WaitAsync(ct);
        }
    }

    private void End(Action change)
    {
        Update(change);
        done.TrySetResult();
    }

    private void Update(Action change)
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            change();
            signal = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }
}
