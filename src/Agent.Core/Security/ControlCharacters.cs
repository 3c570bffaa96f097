namespace Agent.Core.Security;

/// <summary>Control characters and whitespace where a name must have none.</summary>
public static class ControlCharacters
{
    public static bool In(string? text) => text is not null && text.Any(char.IsControl);

    /// <summary>Why a driver's name (a volume's or a network's) cannot be one: whitespace or control characters, which a
    /// lenient check would trim while the engine looks up the name as given ("local " is a plugin it cannot find).</summary>
    public static string? DriverNameProblem(string? driver, string what) =>
        driver is not null && driver.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            ? $"{what} driver \"{Shown(driver)}\" contains whitespace or control characters: give the name alone, like \"{(what == "network" ? "bridge" : "local")}\""
            : null;

    /// <summary>The text with control characters as \uXXXX, so a message shows them instead of acting on a terminal.</summary>
    public static string Shown(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
