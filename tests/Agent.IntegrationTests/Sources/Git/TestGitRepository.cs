using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A local bare repository (the remote) and a working clone the test commits and pushes from, with the git CLI.</summary>
public sealed class TestGitRepository : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("agent-it-git-").FullName;

    public TestGitRepository(string branch = "main")
    {
        Branch = branch;
        Bare = Path.Combine(root, "remote.git");
        Work = Path.Combine(root, "work");
        Run(root, "init", "--bare", "-q", "-b", branch, Bare);
        Run(root, "init", "-q", "-b", branch, Work);
        Run(Work, "remote", "add", "origin", Bare);
    }

    public string Branch { get; }
    public string Bare { get; }
    public string Work { get; }
    public string FileUrl => "file://" + Bare;

    /// <summary>Extra `git -c` settings for commits (signing).</summary>
    public List<string> CommitConfig { get; } = [];

    public TestGitRepository Write(string file, string content)
    {
        var path = Path.Combine(Work, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return this;
    }

    public TestGitRepository Delete(string file)
    {
        File.Delete(Path.Combine(Work, file));
        return this;
    }

    /// <summary>Commits everything and pushes the branch; returns the new commit id.</summary>
    public string CommitAndPush(string message, bool sign = false, string? branch = null)
    {
        Run(Work, "add", "-A");
        var args = new List<string>();
        foreach (var c in CommitConfig) { args.Add("-c"); args.Add(c); }
        args.AddRange(["commit", "-q", "--allow-empty", "-m", message]);
        if (sign) args.Add("-S");
        Run(Work, args.ToArray());
        Run(Work, "push", "-q", "--force", "origin", $"HEAD:refs/heads/{branch ?? Branch}");
        return Head();
    }

    /// <summary>Tags the working clone's HEAD and pushes the tag.</summary>
    public TestGitRepository Tag(string tag)
    {
        Run(Work, "tag", tag);
        Run(Work, "push", "-q", "origin", $"refs/tags/{tag}");
        return this;
    }

    public string Head() => Run(Work, "rev-parse", "HEAD").Trim();

    /// <summary>Moves the branch back to an older commit on the remote (git push --force), and the working clone with it.</summary>
    public void ForcePush(string commit)
    {
        Run(Work, "reset", "-q", "--hard", commit);
        Run(Work, "push", "-q", "--force", "origin", $"HEAD:refs/heads/{Branch}");
    }

    public static string Run(string dir, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "Test", ["GIT_AUTHOR_EMAIL"] = "test@example.invalid",
            ["GIT_COMMITTER_NAME"] = "Test", ["GIT_COMMITTER_EMAIL"] = "test@example.invalid",
            ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = Path.GetTempPath(),
        };
        var (exit, stdout, stderr) = ExternalTool.RunAsync("git", args, dir, env).GetAwaiter().GetResult();
        if (exit != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({exit}): {stderr}");
        return stdout;
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
