using System.Globalization;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>kill -9 of the real `agent run` while git fetches: the next start kills the git left running and finishes the sync.</summary>
public sealed class GitCrashTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly TestGitRepository repo = new();
    private readonly string manifests = Directory.CreateTempSubdirectory("agent-gitcrash-manifests-").FullName;
    private readonly string stateDir = Directory.CreateTempSubdirectory("agent-gitcrash-state-").FullName;
    private AgentProcess? agent;

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        if (agent is not null) await agent.DisposeAsync();
        await instance.DisposeAsync();
        repo.Dispose();
        Directory.Delete(manifests, recursive: true);
        Directory.Delete(stateDir, recursive: true);
    }

    /// <summary>Live (not zombie) processes whose command line names the stalled remote's port.</summary>
    private static List<int> GitProcessesFor(int port)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (args.Contains($"127.0.0.1:{port}/", StringComparison.Ordinal) && stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z') found.Add(pid);
            }
            catch (IOException)
            {
                // ended meanwhile
            }
        }
        return found;
    }

    [Fact]
    public async Task Git_left_running_by_a_killed_agent_is_killed_at_the_next_start_which_finishes_the_sync()
    {
        repo.Write("notes.txt", "nothing to apply");
        var commit = repo.CommitAndPush("first");
        using var daemon = new GitDaemon(Path.GetDirectoryName(repo.Bare)!);
        using var remote = new StallingRemote(daemon.Port);
        File.WriteAllText(Path.Combine(manifests, "platform.yaml"),
            $"apiVersion: agent/v1\nkind: GitRepository\nmetadata:\n  name: platform\nspec:\n  url: {remote.Url("remote.git")}\n  ref:\n    branch: main\n  interval: 1s\n  timeout: 10m\n");

        agent = AgentProcess.Start(instance.Id, manifests, stateDir);
        await agent.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var stuck = await Eventually.ReturnsAsync(() => Task.FromResult(GitProcessesFor(remote.Port)), p => p.Count > 0, TimeSpan.FromSeconds(60),
            "git fetches from the stalled remote");
        await agent.KillAsync();
        Assert.NotEmpty(GitProcessesFor(remote.Port)); // git outlives the agent: nothing runs at a SIGKILL

        remote.Stall = false;
        agent = AgentProcess.Start(instance.Id, manifests, stateDir);
        await agent.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => Task.FromResult(!GitProcessesFor(remote.Port).Intersect(stuck).Any()), TimeSpan.FromSeconds(30),
            $"the git left running ({string.Join(", ", stuck)}) is killed at the next start");
        await Eventually.TrueAsync(() => Task.FromResult(new FileInfo(Path.Combine(stateDir, "git", "platform", "current")).LinkTarget == commit),
            TimeSpan.FromSeconds(60), "the next start finishes the sync");
        Assert.Contains("git process(es) left running by an earlier agent", agent.Output(400));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(stateDir, "git", "platform"), ".staging-*"));
    }
}
