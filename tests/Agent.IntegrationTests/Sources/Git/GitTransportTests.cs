using System.Collections.Concurrent;
using Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>git:// (git daemon) and ssh:// (a throwaway sshd with a key made here) work like file://, and no credential
/// shows in a log line, the status, the API or `ps` while they run (issue 13).</summary>
public sealed class GitTransportTests : GitScenario
{
    [Fact]
    public async Task A_repository_over_git_daemon_is_applied()
    {
        var web = Instance.Name("gitd-web");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        using var daemon = new GitDaemon(Path.GetDirectoryName(Repo.Bare)!);
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", $"git://127.0.0.1:{daemon.Port}/remote.git"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        await Agent.WaitReadyAsync(web);

        Repo.Write("web.yaml", Sleepy(web, 1));
        var second = Repo.CommitAndPush("web v1");
        await WaitAppliedAsync("platform", second);
        await WaitForCommandAsync(web, 1);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_repository_over_ssh_with_a_key_file_is_applied_also_when_others_may_read_the_key_and_no_credential_shows_anywhere()
    {
        var web = Instance.Name("ssh-web");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        using var sshd = new TestSshServer();
        var processes = await SampleGitProcessesAsync(async () =>
        {
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", sshd.Url(Repo.Bare),
                $"  secretRef: {{ sshKeyFile: {sshd.KeyFile}, knownHostsFile: {sshd.KnownHostsFile} }}\n"));
            await Agent.StartAsync();
            await WaitAppliedAsync("platform", first);
            await Agent.WaitReadyAsync(web);
            // The key readable by others, as a mounted Kubernetes Secret is (probe-13c C11): ssh gets a private copy.
            File.SetUnixFileMode(sshd.KeyFile, File.GetUnixFileMode(sshd.KeyFile) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Repo.Write("web.yaml", Sleepy(web, 1));
            var second = Repo.CommitAndPush("web v1");
            await WaitAppliedAsync("platform", second);
            await WaitForCommandAsync(web, 1);
        });
        var copies = Path.Combine(Agent.StateDir, "git", ".home", ".keys");
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.EnumerateFiles(copies).Any()), TimeSpan.FromSeconds(30), "the private key copies are removed after each git run");

        // git ran (the sampler saw it), and what ran never carried the key.
        Assert.Contains(processes, p => p.Contains("git", StringComparison.Ordinal) && p.Contains("fetch", StringComparison.Ordinal));
        var key = sshd.PrivateKeyBody;
        var keyPart = key[..40];
        Assert.DoesNotContain(processes, p => p.Contains(keyPart, StringComparison.Ordinal));
        Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains(keyPart, StringComparison.Ordinal));
        var api = await ApiAsync("/api/v1/gitrepositories/platform");
        Assert.DoesNotContain(keyPart, api.GetRawText());
        // The user name of the URL is shown nowhere either (a user name can be a token).
        Assert.Equal($"ssh://127.0.0.1:{sshd.Port}{Repo.Bare}", api.GetProperty("url").GetString());
        Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains($"{sshd.User}@127.0.0.1", StringComparison.Ordinal));
        Assert.DoesNotContain($"{sshd.User}@127.0.0.1", (await ApiAsync("/api/v1/objects")).GetRawText());
        var group = await ApiAsync($"/api/v1/servicegroups/{web}");
        Assert.DoesNotContain(keyPart, group.GetRawText());
        using var client = Agent.Client();
        Assert.DoesNotContain(keyPart, await client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_token_as_the_urls_user_name_is_a_manifest_error_and_never_reaches_gits_command_line()
    {
        // A listener that accepts and never answers: a git run against it would hang in `ps` until its timeout (probe-13 F3).
        var token = $"ghp_SUPERSECRET{Instance.Id}";
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        try
        {
            var web = Instance.Name("tokuser-web");
            var processes = await SampleGitProcessesAsync(async () =>
            {
                Agent.Write("tokuser.yaml", GitRepositoryManifest("tokuser", $"https://{token}@127.0.0.1:{port}/x.git", "  timeout: 30s\n"));
                Agent.Write("oauth.yaml", GitRepositoryManifest("oauth", $"http://oauth2@127.0.0.1:{port}/x.git", "  timeout: 30s\n"));
                await StartWithGroupAsync(web); // a repository that loads: git runs, so the sampler sees git's command lines
                Repo.Write("web.yaml", Sleepy(web, 1));
                var second = Repo.CommitAndPush("web v1");
                await WaitAppliedAsync("platform", second);
            });

            Assert.Contains(processes, p => p.Contains("fetch", StringComparison.Ordinal));
            Assert.DoesNotContain(processes, p => p.Contains(token, StringComparison.Ordinal) || p.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
            foreach (var (name, file) in new[] { ("tokuser", "tokuser.yaml:6:8"), ("oauth", "oauth.yaml:6:8") })
            {
                var listed = await Eventually.ReturnsAsync(() => ListedAsync(name), o => o is not null, TimeSpan.FromSeconds(30), $"{name} listed");
                var text = listed!.Value.GetRawText();
                Assert.Contains($"{file}: spec.url: the URL ", text);
                Assert.Contains("holds a user name", text);
                Assert.DoesNotContain(token, text);
                Assert.DoesNotContain("oauth2@", text);
            }
            Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
            Assert.Null(RepoStatus("tokuser")?.LastFetchedRevision);
        }
        finally
        {
            silent.Stop();
        }
    }

    /// <summary>The command lines of every git and ssh process seen (sampled from `ps`) while <paramref name="run"/> runs,
    /// and on until a git fetch was seen (the repositories fetch every second; one `ps` can take longer than a fetch on a
    /// loaded machine, so a single run may slip between samples).</summary>
    private static async Task<ConcurrentBag<string>> SampleGitProcessesAsync(Func<Task> run)
    {
        var processes = new ConcurrentBag<string>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var (_, stdout, _) = await ExternalTool.RunAsync("ps", ["-eo", "args"]);
                foreach (var line in stdout.Split('\n').Where(l => l.Contains("git", StringComparison.Ordinal) || l.Contains("ssh", StringComparison.Ordinal)))
                    processes.Add(line);
                await Task.Delay(20);
            }
        });
        try
        {
            await run();
            await Eventually.TrueAsync(() => Task.FromResult(processes.Any(p => p.Contains("git", StringComparison.Ordinal) && p.Contains("fetch", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60), "a git fetch seen in ps");
        }
        finally
        {
            sampling.Cancel();
            await sampler;
        }
        return processes;
    }

    [Fact]
    public async Task A_missing_ssh_key_or_known_hosts_file_is_CredentialsUnreadable_and_an_unknown_host_is_refused()
    {
        var web = Instance.Name("ssh-unknown");
        Repo.Write("web.yaml", Sleepy(web));
        Repo.CommitAndPush("web");
        using var sshd = new TestSshServer();
        var missing = Path.Combine(Agent.StateDir, "..", $"agent-it-nokey-{Instance.Id}");
        // Beside the state dir, not in it: a GitRepository never reads a file of the agent's state (probe-13b B11).
        var otherKnownHosts = Path.GetFullPath(Path.Combine(Agent.StateDir, "..", $"agent-it-empty-known-hosts-{Instance.Id}"));
        File.WriteAllText(otherKnownHosts, "");
        try
        {
            // A missing file is named by its field, and no ssh is attempted (probe-13 F6: it was FetchFailed with ssh's guess).
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", sshd.Url(Repo.Bare),
                $"  secretRef: {{ sshKeyFile: {missing}, knownHostsFile: {sshd.KnownHostsFile} }}\n"));
            await Agent.StartAsync();
            var noKey = await WaitRepoAsync("platform", s => s.Condition("Stalled")?.Status == "True", "Stalled");
            Assert.Equal("CredentialsUnreadable", noKey.Condition("Stalled")!.Reason);
            Assert.Contains($"spec.secretRef.sshKeyFile {missing} does not exist", noKey.Condition("Stalled")!.Message);
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", sshd.Url(Repo.Bare),
                $"  secretRef: {{ sshKeyFile: {sshd.KeyFile}, knownHostsFile: {missing} }}\n"));
            await WaitRepoAsync("platform", s => s.Condition("Stalled")?.Message.Contains($"spec.secretRef.knownHostsFile {missing} does not exist") == true, "known_hosts named");

            // The host key is not in known_hosts: refused (no TOFU), and ssh's messages carry no user name.
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", sshd.Url(Repo.Bare),
                $"  secretRef: {{ sshKeyFile: {sshd.KeyFile}, knownHostsFile: {otherKnownHosts} }}\n"));
            var status = await WaitRepoAsync("platform", s => s.Condition("Stalled")?.Reason == "FetchFailed", "FetchFailed");
            Assert.Contains("Host key verification failed", status.Condition("Stalled")!.Message);
            Assert.DoesNotContain($"{sshd.User}@", status.Condition("Stalled")!.Message);
            Assert.Empty(await Containers.OfAsync(Instance, web));
            Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains("Permission denied (publickey", StringComparison.Ordinal) || l.Contains($"{sshd.User}@127.0.0.1", StringComparison.Ordinal));

            // The same known_hosts file inside the state dir is refused at its field when the manifest loads.
            var inState = Path.Combine(Agent.StateDir, "known_hosts");
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", sshd.Url(Repo.Bare),
                $"  secretRef: {{ sshKeyFile: {sshd.KeyFile}, knownHostsFile: {inState} }}\n"));
            var refused = await Eventually.ReturnsAsync(async () => (await ApiAsync("/api/v1/gitrepositories/platform")).GetProperty("manifestErrors").ToString(),
                e => e.Contains("spec.secretRef.knownHostsFile", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the state dir refused");
            Assert.Contains($"spec.secretRef.knownHostsFile: {inState} is not allowed: it holds the agent's own secrets or state", refused);
        }
        finally
        {
            File.Delete(otherKnownHosts);
        }
    }

    [Fact]
    public async Task A_token_for_https_reaches_the_server_only_in_a_header_never_on_the_command_line_or_in_logs()
    {
        // A plain HTTP listener stands in for an HTTPS git server: it records the Authorization header and refuses.
        const string Token = "ghp_test_token_0123456789abcdef";
        var tokenFile = Path.Combine(Agent.StateDir, "..", $"agent-it-token-{Instance.Id}");
        File.WriteAllText(tokenFile, Token + "\n");
        var port = FreePort.Next();
        using var listener = new System.Net.HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var seen = new ConcurrentBag<string>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (Exception) { return; }
                seen.Add(context.Request.Headers["Authorization"] ?? "");
                context.Response.StatusCode = 403;
                context.Response.Close();
            }
        });
        var processes = new ConcurrentBag<string>();
        try
        {
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", $"http://127.0.0.1:{port}/ops/platform.git",
                $"  secretRef: {{ tokenFile: {Path.GetFullPath(tokenFile)} }}\n  insecure: true\n")); // plain http stands in for https
            await Agent.StartAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (seen.IsEmpty && DateTime.UtcNow < deadline)
            {
                var (_, stdout, _) = await ExternalTool.RunAsync("ps", ["-eo", "args"]);
                foreach (var line in stdout.Split('\n')) processes.Add(line);
            }
            var status = await WaitRepoAsync("platform", s => s.Condition("Stalled")?.Status == "True", "Stalled");
            var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"x-access-token:{Token}"));
            Assert.Contains($"Basic {basic}", seen);
            Assert.DoesNotContain(processes, p => p.Contains(Token, StringComparison.Ordinal) || p.Contains(basic, StringComparison.Ordinal));
            Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains(Token, StringComparison.Ordinal) || l.Contains(basic, StringComparison.Ordinal));
            Assert.DoesNotContain(Token, status.Condition("Stalled")!.Message);
            var api = await ApiAsync("/api/v1/gitrepositories/platform");
            Assert.DoesNotContain(Token, api.GetRawText());
            Assert.DoesNotContain(basic, api.GetRawText());
        }
        finally
        {
            listener.Stop();
            await serving;
            File.Delete(tokenFile);
        }
    }
}
