using Agent.Core.Compose;

namespace Agent.Core.Sources;

/// <summary>How an input file of an object (an <c>envFrom</c> file, a compose project's <c>.env</c> or <c>env_file</c>)
/// reads now, against its last good read: taken as written, or most likely caught while it is rewritten.</summary>
public enum InputFileState { Missing, NotAFile, Empty, DefinesNothing, CutShort, Growing, Written }

/// <summary>An input file as the hold judges it: whether it is a regular file, its size in bytes without its last line
/// end (a file saved without one lost nothing), how many variables it defines (dotenv rules, <see cref="DotEnv"/>) and
/// whether its last line ends with a line end. Never its content.</summary>
public sealed record InputFileShape(bool Exists, bool Regular, long Length, int Variables, bool Terminated)
{
    public static readonly InputFileShape Missing = new(false, false, 0, 0, true);
    public static readonly InputFileShape NotAFile = new(true, false, 0, 0, true);

    /// <param name="length">The file's size in bytes.</param>
    public static InputFileShape Of(string text, long length)
    {
        var lineEnd = text.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : text.Length > 0 && text[^1] is '\n' or '\r' ? 1 : 0;
        return new(true, true, Math.Max(0, length - lineEnd), DotEnv.Parse(text).Values.Select(v => v.Key).Distinct(StringComparer.Ordinal).Count(),
            text.Length == 0 || lineEnd > 0);
    }
}

/// <summary>
/// An input file that had content at the object's last good read and now is missing, empty, defines no variable (only
/// whitespace or comments), or ends in an unterminated line while it defines fewer variables or is shorter than at that
/// read (a write cut mid-way), is most likely being rewritten (<c>: &gt; app.env</c>, an rm+cp deploy, a slow copy): the
/// object is held at its last good spec for Agent:PruneDelay, the grace a deleted manifest gets, instead of being
/// recreated without its variables and then again (probe-15d H3, probe-15e E2). After the delay the file is taken as
/// written (a missing required one is the loader's error, which holds too).
/// </summary>
public static class InputFileHold
{
    public sealed record Held(string Path, InputFileState State, DateTimeOffset Since);

    /// <summary>How <paramref name="now"/> reads against <paramref name="lastGood"/>, the file at the last good read.</summary>
    public static InputFileState Judge(InputFileShape now, InputFileShape lastGood) =>
        !now.Exists ? InputFileState.Missing
        : !now.Regular ? InputFileState.NotAFile
        : now.Length == 0 ? InputFileState.Empty
        : now.Variables == 0 && lastGood.Variables > 0 ? InputFileState.DefinesNothing
        : !now.Terminated && (now.Variables < lastGood.Variables || now.Length < lastGood.Length) ? InputFileState.CutShort
        : InputFileState.Written;

    /// <summary>How a file held before reads while it is written again: whole lines, but still fewer variables or
    /// shorter than at the last good read (written in steps, a line at a time), or as written.</summary>
    private static InputFileState Rewriting(InputFileShape now, InputFileShape lastGood) =>
        now.Variables < lastGood.Variables || now.Length < lastGood.Length ? InputFileState.Growing : InputFileState.Written;

    /// <summary>A file seen held: how it read last, and when it was first held (bounds how long changes keep it held).</summary>
    public sealed record Seen(InputFileShape Shape, DateTimeOffset First);

    /// <param name="files">The input files of the object's last good spec.</param>
    /// <param name="shape">How each file reads now.</param>
    /// <param name="lastGood">The input files that had content at their objects' last good read, as they read then.</param>
    /// <param name="since">When each held file last changed (first seen held, then each change while held); files seen so now are added.</param>
    /// <param name="seen">Each held file's last read; with it, a file emptied and then written again in steps (a line every
    /// second, slower than the delay) stays held until it is as long as before or has not changed for the delay, so no
    /// step of it is applied (the same rule as a manifest written in steps). Changes keep it held for at most
    /// <paramref name="limit"/> from its first hold.</param>
    public static IReadOnlyList<Held> Decide(IEnumerable<string> files, Func<string, InputFileShape> shape, IReadOnlyDictionary<string, InputFileShape> lastGood,
        IDictionary<string, DateTimeOffset> since, DateTimeOffset now, TimeSpan delay, IDictionary<string, Seen>? seen = null, TimeSpan? limit = null)
    {
        if (delay <= TimeSpan.Zero) return [];
        var held = new List<Held>();
        foreach (var file in files.Distinct(StringComparer.Ordinal))
        {
            if (!lastGood.TryGetValue(file, out var good)) continue;
            var read = shape(file);
            var current = Judge(read, good);
            if (current == InputFileState.Written && (seen is null || !since.ContainsKey(file) || (current = Rewriting(read, good)) == InputFileState.Written)) continue;
            if (!since.TryGetValue(file, out var last)) since[file] = last = now;
            if (seen is not null)
            {
                var first = seen.TryGetValue(file, out var before) ? before.First : now;
                if (before is not null && before.Shape != read && now - first < (limit ?? delay * 12)) since[file] = last = now;
                seen[file] = new Seen(read, first);
            }
            if (now - last < delay) held.Add(new Held(file, current, last));
        }
        return held;
    }

    /// <summary>The error a held object shows (never the file's content).</summary>
    public static string Message(Held held, TimeSpan delay) =>
        $"{Describe(held.State)} since {held.Since:HH:mm:ss} but had content at the last good read: " +
        $"the object is held at its last good spec for up to {Math.Ceiling(delay.TotalSeconds)} s (Agent:PruneDelay) in case it is being rewritten; " +
        "after that it is taken as written";

    private static string Describe(InputFileState state) => state switch
    {
        InputFileState.Missing => "is missing",
        InputFileState.NotAFile => "is not a regular file",
        InputFileState.Empty => "is empty",
        InputFileState.DefinesNothing => "defines no variable (only whitespace or comments)",
        InputFileState.Growing => "is being written again (fewer variables or shorter than at the last good read, and still changing)",
        _ => "ends in an unterminated line and defines fewer variables or is shorter than at the last good read (a write cut mid-way)",
    };
}
