using System.Text;

namespace Agent.Cli.Client;

/// <summary>Columns aligned like kubectl's: upper-case headers, three spaces between columns, no trailing spaces.</summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> rows = [];

    public IReadOnlyList<string> Headers { get; } = headers;
    public int Count => rows.Count;

    public Table Add(params string?[] cells)
    {
        rows.Add(cells.Select(c => string.IsNullOrEmpty(c) ? "<none>" : Core.TerminalText.Escape(c.ReplaceLineEndings(" "))).ToArray());
        return this;
    }

    public int[] Widths() => Headers.Select((h, i) => rows.Select(r => i < r.Length ? r[i].Length : 0).Append(h.Length).Max()).ToArray();

    public string Render(string indent = "") => Render(Widths(), indent, header: true, rows);

    /// <summary>One row in the widths of an earlier render (for --watch, which prints changed rows under the first table).</summary>
    public static string Row(int[] widths, string[] cells) => Line(widths, cells, "");

    public IReadOnlyList<string[]> Rows => rows;

    private string Render(int[] widths, string indent, bool header, IEnumerable<string[]> lines)
    {
        var text = new StringBuilder();
        if (header) text.Append(indent).Append(Line(widths, [.. Headers], "")).Append('\n');
        foreach (var row in lines) text.Append(indent).Append(Line(widths, row, "")).Append('\n');
        return text.ToString();
    }

    private static string Line(int[] widths, string[] cells, string indent)
    {
        var line = new StringBuilder(indent);
        for (var i = 0; i < cells.Length; i++)
        {
            line.Append(cells[i]);
            if (i < cells.Length - 1) line.Append(' ', Math.Max(0, (i < widths.Length ? widths[i] : cells[i].Length) - cells[i].Length) + 3);
        }
        return line.ToString().TrimEnd();
    }
}
