using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>probe-30 F8: `STATE/git/.running` replaced by a link to a folder of the user's had that folder's files deleted
/// at every agent start (the leftover-session records are cleaned there). The link is unlinked, its target untouched.</summary>
public sealed class GitProcessesLinkTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-gitproc-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public void The_running_folder_turned_into_a_link_is_unlinked_and_nothing_behind_it_is_deleted()
    {
        var git = Directory.CreateDirectory(Path.Combine(dir.FullName, "git")).FullName;
        var mine = Directory.CreateDirectory(Path.Combine(dir.FullName, "mine")).FullName;
        File.WriteAllText(Path.Combine(mine, "important.txt"), "keep");
        File.WriteAllText(Path.Combine(mine, "12345"), "named like a pid");
        var running = Path.Combine(git, ".running");
        File.CreateSymbolicLink(running, mine);

        var processes = new GitProcesses(running);
        Assert.Equal(0, processes.KillLeftovers());
        Assert.Equal(["12345", "important.txt"], Directory.EnumerateFiles(mine).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(running) || Directory.Exists(running)); // unlinked

        File.CreateSymbolicLink(running, mine);
        using var started = processes.Start(new System.Diagnostics.ProcessStartInfo("true"));
        started.WaitForExit();
        Assert.Null(new FileInfo(running).LinkTarget); // a real folder now holds the record
        Assert.True(File.Exists(Path.Combine(running, started.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(2, Directory.EnumerateFiles(mine).Count());
    }

    [Fact]
    public void A_file_in_the_running_folder_not_named_like_a_session_is_left_alone()
    {
        var running = Directory.CreateDirectory(Path.Combine(dir.FullName, "git", ".running")).FullName;
        File.WriteAllText(Path.Combine(running, "notes.txt"), "x");
        Assert.Equal(0, new GitProcesses(running).KillLeftovers());
        Assert.True(File.Exists(Path.Combine(running, "notes.txt")));
    }
}
