using System.Runtime.InteropServices;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Swaps two paths in one step (renameat2 with RENAME_EXCHANGE): a folder replaced by a link, or put back,
/// without a moment in which the path is missing. In that moment the agent may rightly create a missing relative bind
/// source as an empty folder (as Compose does), and a test's second step then finds the path taken (CI, BindRestartTests).</summary>
public static class PathExchange
{
    private const int AtCurrentDirectory = -100;
    private const uint RenameExchange = 2;

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int fromDirectory, byte[] from, int toDirectory, byte[] to, uint flags);

    private static byte[] Native(string path) => [.. System.Text.Encoding.UTF8.GetBytes(path), 0];

    public static void Exchange(string a, string b)
    {
        if (RenameAt2(AtCurrentDirectory, Native(a), AtCurrentDirectory, Native(b), RenameExchange) != 0)
            throw new IOException($"renameat2({a}, {b}, RENAME_EXCHANGE) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The folder at <paramref name="path"/> moves to <paramref name="keptAt"/>, and a link to
    /// <paramref name="target"/> takes its place in the same step.</summary>
    public static void FolderForLink(string path, string keptAt, string target)
    {
        var link = path + ".link";
        File.CreateSymbolicLink(link, target);
        Exchange(path, link);
        Directory.Move(link, keptAt); // the folder, now under the link's name
    }

    /// <summary>The folder kept at <paramref name="keptAt"/> takes the place of the link at <paramref name="path"/> in one
    /// step; the link goes.</summary>
    public static void LinkForFolder(string path, string keptAt)
    {
        Exchange(path, keptAt);
        File.Delete(keptAt); // the link, now under the kept name
    }
}
