using Agent.Core.Security;

namespace Agent.Core.Files;

/// <summary>A path inside a container, normalised before any engine call: absolute, no `.` or empty segments, `..`
/// resolved, never above the root. The engine then resolves symlinks inside the container's root file system.</summary>
public sealed record ContainerPath
{
    public const int MaxLength = 4096;

    /// <summary>The longest name of one file or folder, in bytes (Linux NAME_MAX): a longer one the engine answered with a
    /// bare 500 (probe-62).</summary>
    public const int MaxNameBytes = 255;

    private ContainerPath(string value) => Value = value;

    /// <summary>The normalised absolute path ("/" for the root).</summary>
    public string Value { get; }

    public bool IsRoot => Value == "/";

    /// <summary>The folder holding it ("/" for a top-level entry); the root has none.</summary>
    public ContainerPath? Parent => IsRoot ? null : new ContainerPath(Value[..Math.Max(1, Value.LastIndexOf('/'))]);

    /// <summary>The last segment ("" for the root).</summary>
    public string Name => IsRoot ? "" : Value[(Value.LastIndexOf('/') + 1)..];

    public ContainerPath Child(string name) => new(IsRoot ? "/" + name : Value + "/" + name);

    public override string ToString() => Value;

    /// <summary>Normalises <paramref name="text"/> (a relative path is taken from "/"); the error says what is wrong.</summary>
    public static bool TryParse(string? text, out ContainerPath path, out string error)
    {
        path = new ContainerPath("/");
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = "path is required: an absolute path in the container, like /etc/hostname";
            return false;
        }
        if (ControlCharacters.In(text))
        {
            error = "path contains a control character (a NUL, a line break or another): not a valid path";
            return false;
        }
        if (text.Length > MaxLength)
        {
            error = $"path is {text.Length} characters long; at most {MaxLength} are accepted";
            return false;
        }
        var segments = new List<string>();
        foreach (var segment in text.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    error = $"path \"{(text.Length > 80 ? text[..80] + "..." : text)}\" climbs above the container's root with '..': give a path inside the container";
                    return false;
                }
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            if (System.Text.Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
            {
                error = $"path has a name of {System.Text.Encoding.UTF8.GetByteCount(segment)} bytes (\"{segment[..16]}...\"); a file or folder name has at most {MaxNameBytes} bytes (file name too long)";
                return false;
            }
            segments.Add(segment);
        }
        path = new ContainerPath("/" + string.Join('/', segments));
        return true;
    }
}
