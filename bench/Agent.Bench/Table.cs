namespace Agent.Bench;

public sealed record Row(string Scenario, string Subject, string Value, string Note = "")
{
    /// <summary>The machine's 1-minute load average when the row was measured: a wall-clock number taken at a high load
    /// says more about the machine than about the agent. A row made after more measurements than its own (a ratio to a
    /// later peer) is given the load of its measurement.</summary>
    public string Load { get; init; } = LoadAverage();

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }
}

public static class Table
{
    public static void Print(IReadOnlyList<Row> rows)
    {
        if (rows.Count == 0) return;
        var w0 = Math.Max(8, rows.Max(r => r.Scenario.Length));
        var w1 = Math.Max(7, rows.Max(r => r.Subject.Length));
        var w2 = Math.Max(5, rows.Max(r => r.Value.Length));
        Report.Line();
        Report.Line($"| {"scenario".PadRight(w0)} | {"subject".PadRight(w1)} | {"value".PadRight(w2)} | load  | note");
        Report.Line($"|{new string('-', w0 + 2)}|{new string('-', w1 + 2)}|{new string('-', w2 + 2)}|-------|------");
        foreach (var r in rows) Report.Line($"| {r.Scenario.PadRight(w0)} | {r.Subject.PadRight(w1)} | {r.Value.PadRight(w2)} | {r.Load,-5} | {r.Note}");
    }
}
