using Agent.Core.Model;
using Agent.Engine;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Engine;

/// <summary>Output a container produces reaches the agent's memory only up to a bound: exec output, log lines without
/// a newline, the list of changes.</summary>
public sealed class EngineOutputBoundsTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private IContainerEngine Engine => instance.Engine;
    private static CancellationToken Ct => CancellationToken.None;

    public Task InitializeAsync() => instance.InitializeAsync();
    public Task DisposeAsync() => instance.DisposeAsync();

    private async Task<string> RunAsync(string name, string script)
    {
        var labels = instance.Labels.ForReplica(new ObjectKey("Test", "bounds"), "svc", 0, "h");
        var id = await Engine.CreateContainerAsync(new ContainerCreateRequest(instance.Name(name),
            new ContainerSpec { Image = TestEngine.Image, Command = ["sh", "-c", script], StopSignal = "SIGKILL" }, labels), Ct);
        await Engine.StartContainerAsync(id, Ct);
        return id;
    }

    [Fact]
    public async Task Exec_output_past_the_limit_is_counted_and_dropped_and_the_command_runs_to_its_end()
    {
        var id = await RunAsync("exec", "exec sleep 600");
        var result = await Engine.ExecAsync(id, new ExecRequest(["sh", "-c", "yes | head -c 3000000; echo done >&2; exit 4"], MaxOutputBytes: 100_000), Ct);

        var (_, oracle, _) = await DockerCli.TryRunAsync("exec", id, "sh", "-c", "yes | head -c 3000000");
        Assert.Equal(oracle.Length, result.StdoutBytes);
        Assert.Equal(oracle[..100_000], result.Stdout);
        Assert.True(result.StdoutTruncated);
        Assert.Equal("done\n", result.Stderr);
        Assert.False(result.StderrTruncated);
        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task A_log_line_without_newline_comes_in_pieces_of_at_most_64_KiB()
    {
        var id = await RunAsync("logs", "head -c 200000 /dev/zero | tr '\\0' a; echo; echo end; exec sleep 600");
        var lines = await Eventually.ReturnsAsync(
            async () => await Engine.GetLogsAsync(id, new LogOptions(), Ct).Select(l => l.Text).ToListAsync(),
            l => l.Contains("end"), TimeSpan.FromSeconds(60), "the end line");

        var oracle = await DockerCli.RunAsync("logs", id);
        Assert.Equal(oracle.Count(c => c == 'a'), string.Concat(lines).Count(c => c == 'a'));
        Assert.Equal(200_000, string.Concat(lines).Count(c => c == 'a'));
        Assert.All(lines, l => Assert.True(l.Length <= 64 * 1024, $"a line of {l.Length} chars"));
        Assert.Equal([65536, 65536, 65536, 3392, 3], lines.Select(l => l.Length));
    }

    [Fact]
    public async Task Changes_over_the_answer_limit_are_refused_before_they_are_all_read()
    {
        var id = await RunAsync("diff", "mkdir /many && cd /many && for i in $(seq 1 300); do touch f$i; done; touch /ready; exec sleep 600");
        var files = (IContainerFilesystem)Engine;
        await Eventually.ReturnsAsync(() => files.StatAsync(id, "/ready", Ct), e => e is not null, TimeSpan.FromSeconds(60), "the files made");

        var all = await files.GetChangesAsync(id, 16 * 1024 * 1024, Ct);
        var oracle = (await DockerCli.RunAsync("diff", id)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(oracle.Length, all.Count);
        Assert.Contains(new FileChange("/many/f300", FileChangeKind.Added), all);

        var refused = await Assert.ThrowsAsync<EngineException>(() => files.GetChangesAsync(id, 2_000, Ct));
        Assert.Equal(400, refused.StatusCode);
        Assert.Contains("Agent:Files:MaxChangesBytes", refused.Message);
    }
}
