using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Agent.Hosting;

/// <summary>Where the time from the process's start to its first full sync goes: the first time each step is reached,
/// logged once by <see cref="ReadyLogger"/> with the CPU time spent so far (JIT included), which a loaded machine does not
/// inflate the way it does wall-clock time. Steps of the process (not of one host): a second host in the same process (the
/// tests, the bench) finds its steps taken already.</summary>
public static class StartupTimeline
{
    private static readonly ConcurrentDictionary<string, long> Reached = new(StringComparer.Ordinal);

    public static void Mark(string step) => Reached.TryAdd(step, Stopwatch.GetTimestamp());

    /// <summary>"main 95 ms, host built +310, ..., total 1234 ms; 1800 ms CPU".</summary>
    public static string Describe()
    {
        var now = Stopwatch.GetTimestamp();
        using var self = Process.GetCurrentProcess();
        var sinceStart = DateTime.Now - self.StartTime;
        var previous = TimeSpan.Zero;
        var steps = new List<string>();
        foreach (var (step, at) in Reached.OrderBy(p => p.Value))
        {
            var offset = sinceStart - Stopwatch.GetElapsedTime(at, now);
            steps.Add(string.Create(CultureInfo.InvariantCulture, $"{step} +{(offset - previous).TotalMilliseconds:0}"));
            previous = offset;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{string.Join(", ", steps)} ms; {previous.TotalMilliseconds:0} ms after the process started, {self.TotalProcessorTime.TotalMilliseconds:0} ms CPU");
    }
}
