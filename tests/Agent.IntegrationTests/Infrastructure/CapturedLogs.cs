using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Every log line an in-process agent writes (formatted, with level and category), for tests that check what is logged.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => lines.ToList();

    /// <summary>How many lines contain every one of <paramref name="parts"/>.</summary>
    public int Count(params string[] parts) => lines.Count(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));

    public Task<string> WaitForAsync(TimeSpan within, params string[] parts) => WaitForAsync(0, within, parts);

    /// <summary>Waits for a line with every one of <paramref name="parts"/> among those written after the first
    /// <paramref name="after"/> lines (<see cref="Lines"/>' count at some earlier moment).</summary>
    public Task<string> WaitForAsync(int after, TimeSpan within, params string[] parts) =>
        Eventually.ReturnsAsync(() => Task.FromResult(lines.Skip(after).FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)))!),
            l => l is not null, within, $"a log line with {string.Join(" and ", parts)}; got:\n{string.Join("\n", lines.TakeLast(30))}");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
