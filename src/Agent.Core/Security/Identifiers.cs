using System.Text.RegularExpressions;

namespace Agent.Core.Security;

public enum IdentifierCheck { Valid, Malformed, CannotExist }

/// <summary>
/// Ids and names checked before any engine call: a control character (NUL above all) is a malformed request (400);
/// anything the engine could never have named (an encoded `/`, `..`, spaces, 129 characters) cannot exist (404).
/// </summary>
public static partial class Identifiers
{
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._/:@+-]{0,254}$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ImageReference();

    /// <summary>A container id (full or prefix) or name, as the engine accepts them.</summary>
    public static IdentifierCheck Container(string? idOrName) =>
        string.IsNullOrEmpty(idOrName) ? IdentifierCheck.CannotExist
        : ControlCharacters.In(idOrName) ? IdentifierCheck.Malformed
        : ContainerName().IsMatch(idOrName) ? IdentifierCheck.Valid
        : IdentifierCheck.CannotExist;

    /// <summary>An image reference (name[:tag][@digest]); never a path, never `..`.</summary>
    public static IdentifierCheck Image(string? reference) =>
        string.IsNullOrEmpty(reference) ? IdentifierCheck.CannotExist
        : ControlCharacters.In(reference) ? IdentifierCheck.Malformed
        : ImageReference().IsMatch(reference) && !reference.Contains("..", StringComparison.Ordinal) && !reference.Contains("//", StringComparison.Ordinal) ? IdentifierCheck.Valid
        : IdentifierCheck.CannotExist;

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EngineName();

    /// <summary>Why the engine would refuse to give a container or a local volume the name <paramref name="name"/> (its
    /// rule is [a-zA-Z0-9][a-zA-Z0-9_.-]+: two characters at least), said as the end of a sentence naming it; null when it
    /// would take it. Checked before any engine call, so the answer names the field rather than relaying the engine's 400.</summary>
    public static string? EngineNameProblem(string name) =>
        EngineName().IsMatch(name) ? null
        : name.Length == 1 && char.IsAsciiLetterOrDigit(name[0]) ? "is one character: the engine names containers and volumes with two at least ([a-zA-Z0-9][a-zA-Z0-9_.-]+)"
        : "is not a name the engine accepts: a letter or digit, then letters, digits, '_', '.' or '-' ([a-zA-Z0-9][a-zA-Z0-9_.-]+)";

    /// <summary>A label value used in a list filter (group, service): free text, but no control characters.</summary>
    public static bool IsFilterValue(string? value) => value is null || !ControlCharacters.In(value);
}
