using Agent.State;

namespace Agent.UnitTests.State;

/// <summary>probe-15i M6: a secret file is only as safe as the folders above it (sshd's StrictModes).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TrustedPathsTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-trusted-");

    public void Dispose() => dir.Delete(recursive: true);

    private string Folder(string name, int mode)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir.FullName, name)).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)mode);
        return folder;
    }

    private static string Secret(string folder)
    {
        var file = Path.Combine(folder, "tokens");
        File.WriteAllText(file, "admin:0123456789abcdef0123\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    [Fact]
    public void A_secret_in_a_folder_others_may_write_without_the_sticky_bit_is_refused_naming_the_folder_and_the_fix()
    {
        if (!OperatingSystem.IsLinux()) return;
        var open = Folder("open", 0b111_111_111);
        var tokens = Secret(open);
        Assert.Equal($"Agent:Auth:TokensFile {tokens} lies in {open}, which other users may write (mode 777, no sticky bit): one could rename a file " +
                     $"of his own over it, another user could make himself admin; chmod go-w {open} (as sshd's StrictModes asks)",
            TrustedPaths.Problem(tokens, "Agent:Auth:TokensFile"));

        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_101); // group-writable only: still anyone in the group
        Assert.Contains("(mode 775, no sticky bit)", TrustedPaths.Problem(tokens, "Agent:Auth:TokensFile"));

        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit); // like /tmp: only an entry's owner renames it
        Assert.Null(TrustedPaths.Problem(tokens, "Agent:Auth:TokensFile"));
        File.SetUnixFileMode(open, (UnixFileMode)0b111_101_101);
        Assert.Null(TrustedPaths.Problem(tokens, "Agent:Auth:TokensFile"));
    }

    [Fact]
    public void A_symlink_to_a_secret_is_judged_by_the_folders_of_the_link_and_of_its_target()
    {
        if (!OperatingSystem.IsLinux()) return;
        var open = Folder("open", 0b111_111_111);
        var safe = Folder("safe", 0b111_000_000);
        var inOpen = Secret(open);
        var linkToOpen = Path.Combine(safe, "link");
        File.CreateSymbolicLink(linkToOpen, inOpen);
        Assert.Contains($"lies in {open}, which other users may write", TrustedPaths.Problem(linkToOpen, "Agent:Auth:JwtKeyFile"));

        var inSafe = Secret(safe);
        var linkInOpen = Path.Combine(open, "link");
        File.CreateSymbolicLink(linkInOpen, inSafe);
        Assert.Contains($"lies in {open}, which other users may write", TrustedPaths.Problem(linkInOpen, "Agent:Auth:JwtKeyFile"));
        Assert.Null(TrustedPaths.Problem(inSafe, "Agent:Auth:JwtKeyFile"));
    }

    [Fact]
    public void A_folder_above_the_state_dir_owned_by_another_user_is_refused()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // chown needs root; the mode cases above hold for every user
        var theirs = Folder("theirs", 0b111_101_101);
        var state = Folder("theirs/state", 0b111_000_000);
        using (var chown = System.Diagnostics.Process.Start("chown", ["4242", theirs])!)
        {
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }
        Assert.Equal($"the state dir {state} lies in {theirs}, which is owned by uid 4242, not by the agent's user (uid 0) or root: that user could " +
                     "replace it, another user could make himself admin; move it to a folder of root's or the agent's user",
            TrustedPaths.Problem(state, "the state dir"));
    }
}
