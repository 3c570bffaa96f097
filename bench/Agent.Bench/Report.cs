namespace Agent.Bench;

/// <summary>
/// Where the bench writes: its progress lines and the table go to standard output (what bench/run.sh keeps in
/// bench/results/); everything the agents log goes to a separate file, AGENT_BENCH_LOG (a temporary file unless set).
/// The in-process agents log through the console, so the console is pointed at that file before any of them starts, and
/// the output of every `agent run` process the bench starts is appended to it, each line prefixed with its process id.
/// </summary>
public static class Report
{
    private static TextWriter results = Console.Out;
    private static TextWriter errors = Console.Error;

    /// <summary>The file that holds the agents' logs.</summary>
    public static string AgentLog { get; private set; } = "";

    public static void Open()
    {
        AgentLog = Environment.GetEnvironmentVariable("AGENT_BENCH_LOG") is { Length: > 0 } given
            ? Path.GetFullPath(given)
            : Path.Combine(Path.GetTempPath(), $"agent-bench-{DateTime.UtcNow:yyyyMMddTHHmmssZ}.agent.log");
        Directory.CreateDirectory(Path.GetDirectoryName(AgentLog)!);
        var log = TextWriter.Synchronized(new StreamWriter(AgentLog, append: true) { AutoFlush = true });
        (results, errors) = (Console.Out, Console.Error);
        Console.SetOut(log);
        Console.SetError(log);
    }

    /// <summary>A line of the bench's own output: what runs now, a section's time, the table.</summary>
    public static void Line(string text = "") => results.WriteLine(text);

    /// <summary>A failure of the bench itself: on standard error and in the agents' log (beside what the agent said).</summary>
    public static void Error(string text)
    {
        errors.WriteLine(text);
        Console.Error.WriteLine(text);
    }

    /// <summary>One line an `agent run` process wrote.</summary>
    public static void AgentLine(int pid, string? line)
    {
        if (line is not null) Console.Out.WriteLine($"[agent {pid}] {line}");
    }
}
