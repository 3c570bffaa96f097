using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Agent.Sources;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Bench;

public sealed partial class Bench
{
    /// <summary>GitOps: from a signed push webhook to the new revision switched, and to the container running the new
    /// command; the raw `git fetch --depth=1` of the same repository is the baseline.</summary>
    public async Task GitWebhookAsync(int pushes)
    {
        Report.Line($"git webhook to applied, {pushes} pushes ...");
        var root = Folder();
        var bare = Path.Combine(root, "remote.git");
        var work = Path.Combine(root, "work");
        await GitAsync(root, "init", "--bare", "-q", "-b", "main", bare);
        await GitAsync(root, "init", "-q", "-b", "main", work);
        var group = $"{run}-git";
        string Yaml(int version) => GroupYaml(group, 1).Replace("\"3600\"", $"\"{3600 + version}\"");
        async Task<string> PushAsync(int version)
        {
            await File.WriteAllTextAsync(Path.Combine(work, "web.yaml"), Yaml(version));
            await GitAsync(work, "add", "-A");
            await GitAsync(work, "commit", "-q", "-m", $"v{version}");
            await GitAsync(work, "push", "-q", "--force", bare, "HEAD:refs/heads/main");
            return (await GitAsync(work, "rev-parse", "HEAD")).Trim();
        }
        var first = await PushAsync(0);

        var secret = Path.Combine(root, "hook-secret");
        await File.WriteAllTextAsync(secret, "bench-hook-secret");
        var dir = Folder();
        await File.WriteAllTextAsync(Path.Combine(dir, "repo.yaml"),
            $"apiVersion: agent/v1\nkind: GitRepository\nmetadata:\n  name: bench\nspec:\n  url: file://{bare}\n  ref: {{ branch: main }}\n  interval: 1h\n  webhook: {{ secretFile: {secret} }}\n");
        var instance = $"{run}-git";
        var app = await StartAgentAsync(dir, instance, []);
        try
        {
            var status = app.Services.GetRequiredService<GitRepositoryStatusStore>();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            await WaitUntilAsync(() => Task.FromResult(status.Get("bench")?.LastAppliedRevision == $"main@sha1:{first}"), "first revision applied");
            await WaitRunningAsync(instance, 1);

            var switched = new List<double>();
            var applied = new List<double>();
            for (var i = 1; i <= pushes; i++)
            {
                var commit = await PushAsync(i);
                var body = $$"""{"ref":"refs/heads/main","after":"{{commit}}"}""";
                var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("bench-hook-secret"), Encoding.UTF8.GetBytes(body)));
                var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/bench") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Hub-Signature-256", signature);
                var clock = Stopwatch.StartNew();
                (await http.SendAsync(request)).EnsureSuccessStatusCode();
                await WaitUntilAsync(() => Task.FromResult(status.Get("bench")?.LastAppliedRevision == $"main@sha1:{commit}"), $"revision {i} switched");
                switched.Add(clock.Elapsed.TotalMilliseconds);
                await WaitUntilAsync(async () =>
                {
                    var c = await engine.InspectContainerAsync($"{group}-s0-1", default);
                    return c is { State: Core.Model.ContainerState.Running } && string.Join(" ", c.Command) .Contains($"{3600 + i}", StringComparison.Ordinal);
                }, $"revision {i} running");
                applied.Add(clock.Elapsed.TotalMilliseconds);
            }

            var fetch = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var target = Path.Combine(root, $"fetch{i}.git");
                await GitAsync(root, "init", "--bare", "-q", target);
                var clock = Stopwatch.StartNew();
                await GitAsync(target, "fetch", "--depth=1", "-q", $"file://{bare}", "refs/heads/main");
                fetch.Add(clock.Elapsed.TotalMilliseconds);
            }
            // Baseline for the container part: the same replacement straight through the docker CLI (rm -f, then run).
            var replace = new List<double>();
            var raw = $"{run}-git-raw";
            for (var i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                await ShellAsync($"docker rm -f {raw} >/dev/null 2>&1; docker run -d --name {raw} --label agent.instance={instance} {Image} sleep {3600 + i} >/dev/null");
                replace.Add(clock.Elapsed.TotalMilliseconds);
            }
            await ShellAsync($"docker rm -f {raw}");
            replace.Sort();
            results.Add(new Row("container replace (rm -f + run)", "raw docker CLI p50", Ms(replace[2]), "baseline: what replacing the container costs on this engine"));
            switched.Sort();
            applied.Sort();
            fetch.Sort();
            results.Add(new Row($"git webhook, {pushes} pushes", "agent p50 (webhook -> revision switched)", Ms(switched[pushes / 2]), $"max {Ms(switched[^1])}; fetch + checkout + validate + symlink swap"));
            results.Add(new Row($"git webhook, {pushes} pushes", "agent p50 (webhook -> new container running)", Ms(applied[pushes / 2]), $"max {Ms(applied[^1])}; issue 13 asks for < 1 s"));
            results.Add(new Row("git fetch --depth=1 (file://)", "raw git CLI p50", Ms(fetch[2]), "baseline: the fetch alone"));
        }
        finally
        {
            await app.StopAsync();
            await CleanAsync(instance);
        }
    }

    private static async Task<string> GitAsync(string dir, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "bench";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "bench@example.invalid";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)}: {await stderr}");
        return await stdout;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within 60 s: {what}");
            await Task.Delay(5);
        }
    }
}
