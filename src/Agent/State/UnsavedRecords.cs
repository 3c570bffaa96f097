using System.Collections.Concurrent;

namespace Agent.State;

/// <summary>
/// State files the agent keeps in memory while the state dir cannot take them (a full disk, a read-only remount): what
/// the events stream or a job run tells is not lost for the running agent, and a failed write never ends the loop that
/// made it (probe-18 F10: a user's docker stop on a full state dir tore down the events stream). Each file's failure is
/// logged once per change of cause, not once per write (probe-18 F3), its recovery once, and the write is tried again
/// every <see cref="RetryEvery"/> until it lands. /readyz's <c>records</c> check names the files meanwhile.
/// </summary>
public sealed class UnsavedRecords(TimeProvider time, ILogger logger) : IDisposable
{
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);

    private sealed record Entry(string Cause, string Meanwhile, DateTimeOffset Since, Action Retry);

    private readonly ConcurrentDictionary<string, Entry> failing = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private ITimer? timer;

    /// <summary>The write of <paramref name="file"/> failed; <paramref name="meanwhile"/> says what holds instead (the record
    /// in memory), <paramref name="retry"/> writes what the owner holds now (reporting here again, never throwing).</summary>
    public void Failed(string file, StateWriteException e, string meanwhile, Action retry)
    {
        var cause = e.InnerException?.Message ?? e.Message;
        bool changed;
        lock (sync)
        {
            var before = failing.GetValueOrDefault(file);
            changed = before?.Cause != cause;
            failing[file] = new Entry(cause, meanwhile, before?.Since ?? time.GetUtcNow(), retry);
            timer ??= time.CreateTimer(_ => RetryAll(), null, RetryEvery, RetryEvery);
        }
        if (changed)
            logger.LogWarning("State file {File} cannot be saved ({Cause}); {Meanwhile}. Tried again every {Retry:0} s until it is saved",
                file, cause, meanwhile, RetryEvery.TotalSeconds);
    }

    /// <summary>The file was written: a failure it had is over (logged once).</summary>
    public void Saved(string file)
    {
        if (failing.IsEmpty || !failing.TryRemove(file, out var was)) return;
        logger.LogInformation("State file {File} is saved again (it could not be saved since {Since:HH:mm:ss}Z: {Cause})", file, was.Since.UtcDateTime, was.Cause);
    }

    /// <summary>Why <paramref name="file"/> is not saved now and since when, or null when it is.</summary>
    public string? Problem(string file) =>
        failing.TryGetValue(file, out var entry) ? $"{file} cannot be saved since {entry.Since.UtcDateTime:HH:mm:ss}Z ({entry.Cause}): {entry.Meanwhile}" : null;

    /// <summary>The owner dropped the record (its object is gone): nothing is left to save.</summary>
    public void Forget(string file) => failing.TryRemove(file, out _);

    /// <summary>The files not saved now, each with its cause and what holds meanwhile, for /readyz; empty when all are saved.</summary>
    public IReadOnlyList<string> Problems() => failing.Keys.Order(StringComparer.Ordinal).Select(Problem).OfType<string>().ToList();

    private void RetryAll()
    {
        foreach (var (file, entry) in failing)
        {
            try
            {
                entry.Retry();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogDebug("Saving {File} again failed: {Error}", file, e.Message);
            }
        }
    }

    public void Dispose()
    {
        lock (sync) timer?.Dispose();
    }
}
