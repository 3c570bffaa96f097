namespace Agent.Bench;

public sealed record Row(string Scenario, string Subject, string Value, string Note = "");

public static class Table
{
    public static void Print(IReadOnlyList<Row> rows)
    {
        var w0 = Math.Max(8, rows.Max(r => r.Scenario.Length));
        var w1 = Math.Max(7, rows.Max(r => r.Subject.Length));
        var w2 = Math.Max(5, rows.Max(r => r.Value.Length));
        Console.WriteLine();
        Console.WriteLine($"| {"scenario".PadRight(w0)} | {"subject".PadRight(w1)} | {"value".PadRight(w2)} | note");
        Console.WriteLine($"|{new string('-', w0 + 2)}|{new string('-', w1 + 2)}|{new string('-', w2 + 2)}|------");
        foreach (var r in rows) Console.WriteLine($"| {r.Scenario.PadRight(w0)} | {r.Subject.PadRight(w1)} | {r.Value.PadRight(w2)} | {r.Note}");
    }
}
