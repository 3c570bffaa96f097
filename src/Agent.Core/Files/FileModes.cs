namespace Agent.Core.Files;

/// <summary>Permission bits for files written into a container: octal 0-0777. The setuid, setgid and sticky bits are
/// refused: a file the agent writes must never carry more privilege than the container was admitted with.</summary>
public static class FileModes
{
    public const int DefaultFile = 0b110_100_100;      // 0644
    public const int DefaultDirectory = 0b111_101_101; // 0755

    public static bool TryParse(string? text, int fallback, out int mode, out string error)
    {
        mode = fallback;
        error = "";
        if (string.IsNullOrEmpty(text)) return true;
        var digits = text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (digits.Length is 0 or > 4 || !digits.All(c => c is >= '0' and <= '7'))
        {
            error = $"mode=\"{text}\" is not an octal file mode: give three or four octal digits like 0644 or 755";
            return false;
        }
        var value = Convert.ToInt32(digits, 8);
        if (value > 0b111_111_111)
        {
            error = $"mode=\"{text}\" sets the setuid, setgid or sticky bit; only permission bits (0000-0777) can be written";
            return false;
        }
        mode = value;
        return true;
    }

    public static string Format(int mode) => "0" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0');
}
