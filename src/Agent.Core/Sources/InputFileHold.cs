namespace Agent.Core.Sources;

/// <summary>What an input file of an object (an <c>envFrom</c> file, a compose project's <c>.env</c> or <c>env_file</c>)
/// looks like on disk now.</summary>
public enum InputFileState { Missing, Empty, HasContent }

/// <summary>
/// An input file that had content at the object's last good read and is now empty or missing is most likely being
/// rewritten (<c>: &gt; app.env</c>, an rm+cp deploy): the object is held at its last good spec for Agent:PruneDelay,
/// the grace a deleted manifest gets, instead of being recreated without its variables and then again (probe-15d H3).
/// After the delay the file is taken as written (an empty file defines nothing; a missing required one is the loader's
/// error, which holds too).
/// </summary>
public static class InputFileHold
{
    public sealed record Held(string Path, InputFileState State, DateTimeOffset Since);

    /// <param name="files">The input files of the object's last good spec.</param>
    /// <param name="hadContent">The input files that had content at their objects' last good read.</param>
    /// <param name="since">When each file was first seen empty or missing; files seen so now are added.</param>
    public static IReadOnlyList<Held> Decide(IEnumerable<string> files, Func<string, InputFileState> state, IReadOnlySet<string> hadContent,
        IDictionary<string, DateTimeOffset> since, DateTimeOffset now, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) return [];
        var held = new List<Held>();
        foreach (var file in files.Where(hadContent.Contains).Distinct(StringComparer.Ordinal))
        {
            var current = state(file);
            if (current == InputFileState.HasContent) continue;
            if (!since.TryGetValue(file, out var first)) since[file] = first = now;
            if (now - first < delay) held.Add(new Held(file, current, first));
        }
        return held;
    }

    /// <summary>The error a held object shows (never the file's content).</summary>
    public static string Message(Held held, TimeSpan delay) =>
        $"{(held.State == InputFileState.Empty ? "is empty" : "is missing")} since {held.Since:HH:mm:ss} but had content at the last good read: " +
        $"the object is held at its last good spec for up to {Math.Ceiling(delay.TotalSeconds)} s (Agent:PruneDelay) in case it is being rewritten; " +
        "after that it is taken as written";
}
