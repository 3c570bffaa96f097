namespace Agent.Core.Security;

/// <summary>NUL and the other C0/C1 control characters: never part of a path, id or name the agent passes on.</summary>
public static class ControlCharacters
{
    public static bool In(string? text) => text is not null && text.Any(char.IsControl);
}
