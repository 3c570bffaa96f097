using System.Globalization;
using System.Text;

namespace Agent.Core;

/// <summary>Text from manifests (keys, values, file names) shown on a terminal or in the log: control characters (C0
/// but tab and, when kept, line feed; DEL; C1) and bidirectional overrides are written as <c>\u001b</c>, so a manifest
/// cannot clear the screen, retitle the window or write the clipboard of whoever reads it (like kubectl since
/// CVE-2021-25743; probe-15d H9).</summary>
public static class TerminalText
{
    public static string Escape(string text, bool keepLineFeeds = false)
    {
        if (!text.Any(c => Unsafe(c, keepLineFeeds))) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
            if (Unsafe(c, keepLineFeeds)) escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else escaped.Append(c);
        return escaped.ToString();
    }

    private static bool Unsafe(char c, bool keepLineFeeds) =>
        c < 0x20 && c != '\t' && !(keepLineFeeds && c == '\n') || c is >= '\u007f' and <= '\u009f'
        || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069';
}
