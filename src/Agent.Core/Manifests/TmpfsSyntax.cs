using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>The short tmpfs syntax of `docker run --tmpfs` and Compose: `/run:size=64m,ro`.</summary>
public static class TmpfsSyntax
{
    /// <summary>The mount, or why the text is not one (a relative target, an option other than size=, ro, rw).</summary>
    public static (MountSpec? Mount, string? Problem) Parse(string text)
    {
        var parts = text.Split(':', 2);
        if (!parts[0].StartsWith('/')) return (null, $"{YamlCursor.Quote(text)} must be an absolute path inside the container");
        long? size = null;
        var readOnly = false;
        foreach (var option in (parts.Length > 1 ? parts[1] : "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (option is "ro" or "rw") readOnly = option == "ro";
            else if (option.StartsWith("size=", StringComparison.Ordinal) && Quantities.TryParseSize(option[5..].ToLowerInvariant().TrimEnd('b'), out var bytes)) size = bytes;
            else return (null, $"{YamlCursor.Quote(text)}: tmpfs option \"{option}\" is not supported (size=, ro, rw)");
        }
        return (new MountSpec(MountType.Tmpfs, null, parts[0], readOnly) { SizeBytes = size }, null);
    }
}
