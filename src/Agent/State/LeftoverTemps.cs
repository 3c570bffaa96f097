using System.Text.RegularExpressions;

namespace Agent.State;

/// <summary>
/// Temporary files and folders a write killed half-way leaves (kill -9 between the temp file's create and its rename:
/// <c>.NAME.tmp-PID</c> of <see cref="StateFile.Write"/>, <c>.tmp-GUID</c> of a git bind copy). Nothing reads them and
/// nothing else removes them, so each crash would leave one more: removed when an agent takes the state dir, which no
/// other writer then holds.
/// </summary>
public static partial class LeftoverTemps
{
    [GeneratedRegex(@"^\..+\.tmp-[0-9]+$")]
    private static partial Regex StateFileTemp();

    [GeneratedRegex(@"^\.tmp-[0-9a-f]{32}$")]
    private static partial Regex BindCopyTemp();

    /// <summary>Removes them from the state dir and its folders one level down (jobs/, git/), and git/.binds/REPO/;
    /// returns what it removed. A leftover that cannot be removed is left (it harms nothing).</summary>
    public static IReadOnlyList<string> Remove(string stateDir)
    {
        var removed = new List<string>();
        string[] folders = [stateDir, .. Folders(stateDir)];
        foreach (var file in folders.SelectMany(Files).Where(f => StateFileTemp().IsMatch(Path.GetFileName(f))))
            Try(() => File.Delete(file), file, removed);
        foreach (var temp in Folders(Path.Combine(stateDir, "git", ".binds")).SelectMany(Folders).Where(d => BindCopyTemp().IsMatch(Path.GetFileName(d))))
            Try(() => Directory.Delete(temp, recursive: true), temp, removed);
        return removed;
    }

    private static IEnumerable<string> Folders(string folder) => Safe(() => Directory.EnumerateDirectories(folder).ToList());

    private static IEnumerable<string> Files(string folder) => Safe(() => Directory.EnumerateFiles(folder).ToList());

    private static IEnumerable<string> Safe(Func<List<string>> list)
    {
        try
        {
            return list();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static void Try(Action remove, string path, List<string> removed)
    {
        try
        {
            remove();
            removed.Add(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // left as it is: the next start tries again
        }
    }
}
