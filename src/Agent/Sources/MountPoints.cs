using System.Globalization;
using System.Text;

namespace Agent.Sources;

/// <summary>The mount table (/proc/self/mountinfo), to tell a folder that is empty from a filesystem that was unmounted.</summary>
public static class MountPoints
{
    private const string MountInfo = "/proc/self/mountinfo";

    /// <summary>The mount point a real path lives on (the longest mounted prefix), or null when the table cannot be read.</summary>
    public static string? Of(string realPath) => All() is { } all ? Of(realPath, all) : null;

    /// <summary>The mount point of <paramref name="all"/> a real path lives on (the longest mounted prefix).</summary>
    public static string? Of(string realPath, IReadOnlyList<string> all) =>
        all.Where(point => Contains(point, realPath)).MaxBy(point => point.Length);

    /// <summary>Every mount point, or null when the table cannot be read.</summary>
    public static IReadOnlyList<string>? All()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(MountInfo);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return lines.Select(line => line.Split(' ')).Where(fields => fields.Length >= 5).Select(fields => Unescape(fields[4])).ToList();
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes (\040).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var result = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && int.TryParse(field.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                result.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else result.Append(field[i]);
        }
        return result.ToString();
    }
}
