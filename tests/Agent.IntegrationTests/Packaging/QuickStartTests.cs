using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Packaging;

/// <summary>The README's quick start, run verbatim from a fresh clone: install, engine, daemon, then the client commands.</summary>
[Collection(DemoCollection.Name)]
public sealed partial class QuickStartTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("agent-quickstart-");

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        scratch.Delete(recursive: true);
    }

    [GeneratedRegex(@"## Quick start\n.*?```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex QuickStartBlock();

    /// <summary>The commands of the README's first sh block under "Quick start", as written.</summary>
    public static IReadOnlyList<string> Commands()
    {
        var readme = File.ReadAllText(Path.Combine(AgentCli.RepositoryRoot, "README.md"));
        var match = QuickStartBlock().Match(readme);
        Assert.True(match.Success, "README.md has no ```sh block under ## Quick start");
        return match.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    [Fact]
    public void The_quick_start_installs_runs_and_uses_the_client_commands()
    {
        var commands = Commands();
        Assert.Equal("bash eng/install.sh", commands[0]);
        Assert.Contains(commands, c => c.StartsWith("agent run", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("agent get", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_readme_quick_start_works_verbatim_from_a_fresh_clone()
    {
        // A fresh clone of the committed tree, with this working tree's changes on top (so the test checks what is being built).
        var clone = Path.Combine(scratch.FullName, "agent");
        var root = AgentCli.RepositoryRoot;
        var (cloned, stdout, stderr) = await ExternalTool.ShellAsync(
            $"set -e; git clone -q '{root}' '{clone}'; cd '{root}'; git ls-files -z -c -o --exclude-standard | xargs -0 -I{{}} cp --parents {{}} '{clone}'/ 2>/dev/null || true; " +
            $"git ls-files -z -d | (cd '{clone}' && xargs -0 -r rm -f)");
        Assert.True(cloned == 0, stdout + stderr);

        // Isolation from a real installation and other agents: own prefix, state dir (XDG_STATE_HOME, so its tokens), port and instance.
        var prefix = Path.Combine(scratch.FullName, "prefix");
        var state = Path.Combine(scratch.FullName, "state");
        var environment = new Dictionary<string, string>
        {
            ["AGENT_PREFIX"] = prefix,
            ["XDG_STATE_HOME"] = state,
            ["PATH"] = $"{Path.Combine(prefix, "bin")}:{Environment.GetEnvironmentVariable("PATH")}",
            ["AGENT_Urls"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["AGENT_Agent__Instance"] = instance.Id,
            ["AGENT_TOKEN"] = "",
            // install.sh ships Native AOT, a publish of ~7 minutes of CPU: too slow for every CI run. Its ReadyToRun
            // fallback runs the same steps after the publish; the AOT binary itself is tested with AGENT_TEST_AGENT.
            ["AGENT_BUILD"] = "r2r",
        };
        // The commands as written; around them only: output into a file (so nothing a command leaves behind holds the
        // test's pipes), a time limit, and stopping the background agent at the end.
        var transcript = Path.Combine(scratch.FullName, "transcript.log");
        var script = $"exec >'{transcript}' 2>&1\nset -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\ntrap 'exit 143' TERM\n" +
                     string.Join("\n", Commands().Select(c => $"echo '$ {c.Replace("'", "'\\''")}'\n{c}")) + "\n";
        var exit = (await ExternalTool.RunAsync("timeout", ["15m", "bash", "-c", script], clone, environment, TimeSpan.FromMinutes(16))).Exit;
        var output = File.ReadAllText(transcript);
        var log = File.Exists(Path.Combine(clone, "agent.log")) ? File.ReadAllText(Path.Combine(clone, "agent.log")) : "";
        Assert.True(exit == 0, $"exit {exit}\n{output}\nagent.log:\n{log}");

        Assert.True(File.Exists(Path.Combine(prefix, "bin", "agent")), "install.sh put no agent into PREFIX/bin");
        Assert.True(output.Contains("servicegroup/web condition met"), output);
        Assert.True(Regex.IsMatch(output, @"servicegroup/web\s+2/2\s+Ready"), output);
        Assert.True(Regex.IsMatch(output, @"container/web-frontend-1\s+web\s+frontend\s+running\s+\S+\s+127\.0\.0\.1:\d+->8080/tcp"), output);
        Assert.True(output.Contains("Name:         web"), output);
        Assert.True(File.Exists(Path.Combine(state, "agent", "tokens")), "the agent generated no token in the state dir");
        Assert.NotEmpty(await DockerCli.ContainerIdsAsync(instance.InstanceLabel));
    }
}
