using System.Text.RegularExpressions;

namespace Agent.Core.Security;

/// <summary>
/// Docker's grammar of an image reference (distribution/reference, as the engine parses one): a reference it refuses
/// ("invalid reference format: repository name must be lowercase") is refused in the manifest, naming the field, rather
/// than at the pull or create, and names no image the engine has.
/// </summary>
public static partial class ImageReferenceSyntax
{
    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string PathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";

    [GeneratedRegex($"^{DomainComponent}(?:\\.{DomainComponent})*(?::[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Domain();

    [GeneratedRegex($"^{PathComponent}(?:/{PathComponent})*$", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPath();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$", RegexOptions.CultureInvariant)]
    private static partial Regex Digest();

    /// <summary>Why the engine would refuse <paramref name="reference"/> ([registry[:port]/]repository[:tag][@digest]),
    /// said as the end of a sentence; null when it is a reference the engine accepts.</summary>
    public static string? Problem(string reference)
    {
        var name = reference;
        if (name.IndexOf('@') is var at and >= 0)
        {
            if (!Digest().IsMatch(name[(at + 1)..])) return "its digest is not ALGORITHM:HEX (sha256: and 64 hex digits)";
            name = name[..at];
        }
        if (name.LastIndexOf(':') is var colon and >= 0 && colon > name.LastIndexOf('/'))
        {
            if (!Tag().IsMatch(name[(colon + 1)..])) return "its tag is not letters, digits, '_', '.' or '-' (at most 128, not starting with '.' or '-')";
            name = name[..colon];
        }
        if (name.Length > 255) return "its name is longer than 255 characters";
        // The engine's rule for where the registry ends: a first component with '.' or ':', "localhost", or an uppercase letter.
        var slash = name.IndexOf('/');
        var first = slash < 0 ? "" : name[..slash];
        var isDomain = slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.ToLowerInvariant() != first);
        if (isDomain && !Domain().IsMatch(first)) return $"its registry \"{first}\" is not a host name with an optional :port";
        var repository = isDomain ? name[(slash + 1)..] : name;
        if (RepositoryPath().IsMatch(repository)) return null;
        return RepositoryPath().IsMatch(repository.ToLowerInvariant())
            ? $"repository name must be lowercase (\"{repository}\"; Docker refuses it)"
            : $"its repository \"{repository}\" is not lowercase letters and digits separated by '.', '_', '__', '-' or '/'";
    }
}
