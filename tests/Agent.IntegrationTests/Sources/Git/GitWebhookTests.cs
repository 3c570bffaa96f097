using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>Webhooks (GitHub, GitLab, Gitea) and the sync endpoint trigger a fetch at once; a bad signature is 401 and
/// changes nothing; a push to another ref is 202 and ignored (issue 13).</summary>
public sealed class GitWebhookTests : GitScenario
{
    private const string Secret = "hook-secret-0123456789";

    private string SecretFile()
    {
        var file = Path.Combine(Agent.StateDir, "..", $"agent-it-hook-{Instance.Id}");
        File.WriteAllText(file, Secret + "\n");
        return Path.GetFullPath(file);
    }

    private async Task<HttpResponseMessage> HookAsync(string body, string header, string value)
    {
        using var client = Agent.Client();
        var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/platform") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(header, value);
        return await client.SendAsync(request);
    }

    private static string GitHubSignature(string body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    [Fact]
    public async Task A_bad_signature_is_401_and_a_good_one_applies_the_push_at_once()
    {
        var web = Instance.Name("hook-web");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        var secretFile = SecretFile();
        try
        {
            // An hour between fetches: only the webhook can bring the next commit in time.
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, $"  webhook: {{ secretFile: {secretFile} }}\n", interval: "1h"));
            await Agent.StartAsync();
            await WaitAppliedAsync("platform", first);
            await Agent.WaitReadyAsync(web);

            Repo.Write("web.yaml", Sleepy(web, 1));
            var second = Repo.CommitAndPush("web v1");
            var body = $$"""{"ref":"refs/heads/main","after":"{{second}}"}""";

            var bad = await HookAsync(body, "X-Hub-Signature-256", GitHubSignature(body, "wrong-secret"));
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            var gitlabBad = await HookAsync(body, "X-Gitlab-Token", "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, gitlabBad.StatusCode);

            // A secret file that is missing or empty answers exactly like a bad signature (probe-13 F8); the log says why.
            static async Task<string?> DetailAsync(HttpResponseMessage r) =>
                System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
            var refusal = await DetailAsync(bad);
            File.Move(secretFile, secretFile + ".away");
            var missing = await HookAsync(body, "X-Gitlab-Token", "");
            Assert.Equal((HttpStatusCode.Unauthorized, refusal), (missing.StatusCode, await DetailAsync(missing)));
            File.WriteAllText(secretFile, "\n");
            var empty = await HookAsync(body, "X-Gitlab-Token", "");
            Assert.Equal((HttpStatusCode.Unauthorized, refusal), (empty.StatusCode, await DetailAsync(empty)));
            // A FIFO as the secret file (open(2) would block forever): each call is refused at once and the health
            // endpoints keep answering (probe-13d D5: 40 calls made /livez time out).
            File.Delete(secretFile);
            using (var mk = System.Diagnostics.Process.Start("mkfifo", secretFile)) await mk.WaitForExitAsync();
            var piped = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => HookAsync(body, "X-Gitlab-Token", "x")));
            Assert.All(piped, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
            using (var health = Agent.Client())
                Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/livez")).StatusCode);
            File.Delete(secretFile);
            File.Move(secretFile + ".away", secretFile, overwrite: true);
            Assert.Contains(Agent.Logs.Lines, l => l.Contains($"webhook refused: spec.webhook.secretFile {secretFile} is a FIFO (named pipe), not a regular file", StringComparison.Ordinal));
            Assert.Contains(Agent.Logs.Lines, l => l.Contains($"webhook refused: spec.webhook.secretFile {secretFile} does not exist", StringComparison.Ordinal));
            Assert.Contains(Agent.Logs.Lines, l => l.Contains($"webhook refused: spec.webhook.secretFile {secretFile} is empty", StringComparison.Ordinal));

            var other = $$"""{"ref":"refs/heads/feature","after":"{{second}}"}""";
            var ignored = await HookAsync(other, "X-Hub-Signature-256", GitHubSignature(other, Secret));
            Assert.Equal(HttpStatusCode.Accepted, ignored.StatusCode);
            Assert.Contains("ignored", await ignored.Content.ReadAsStringAsync());
            await Task.Delay(1500);
            Assert.Equal($"main@sha1:{first}", RepoStatus("platform")!.LastAppliedRevision);

            var watch = Stopwatch.StartNew();
            var good = await HookAsync(body, "X-Hub-Signature-256", GitHubSignature(body, Secret));
            Assert.Equal(HttpStatusCode.Accepted, good.StatusCode);
            await WaitAppliedAsync("platform", second);
            await WaitForCommandAsync(web, 1);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"applied {watch.Elapsed.TotalSeconds:0.0}s after the webhook");

            // Gitea and GitLab deliveries are accepted too.
            var gitea = await HookAsync(body, "X-Gitea-Signature", GitHubSignature(body, Secret)[7..]);
            Assert.Equal(HttpStatusCode.Accepted, gitea.StatusCode);
            var gitlab = await HookAsync(body, "X-Gitlab-Token", Secret);
            Assert.Equal(HttpStatusCode.Accepted, gitlab.StatusCode);
            Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains(Secret, StringComparison.Ordinal));

            // Suspended (an incident freeze): neither a signed push nor an operator's sync fetches or applies anything.
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, $"  webhook: {{ secretFile: {secretFile} }}\n  suspend: true\n", interval: "1h"));
            await WaitRepoAsync("platform", s => s.Suspend && s.Condition("Reconciling")?.Reason == "Suspended", "suspended");
            Repo.Write("web.yaml", Sleepy(web, 2));
            var third = Repo.CommitAndPush("web v2");
            var frozenBody = $$"""{"ref":"refs/heads/main","after":"{{third}}"}""";
            var frozen = await HookAsync(frozenBody, "X-Hub-Signature-256", GitHubSignature(frozenBody, Secret));
            Assert.Equal(HttpStatusCode.Accepted, frozen.StatusCode);
            Assert.Contains("suspended", await frozen.Content.ReadAsStringAsync());
            using var operatorClient = Agent.Client();
            operatorClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                File.ReadAllLines(Path.Combine(Agent.StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..]);
            var sync = await operatorClient.PostAsync("/api/v1/gitrepositories/platform/sync?wait=true", null);
            Assert.Equal(HttpStatusCode.Conflict, sync.StatusCode);
            Assert.Contains("suspended", await sync.Content.ReadAsStringAsync());
            await Task.Delay(3000); // a fetch would take well under this here; nothing may arrive
            Assert.Equal($"main@sha1:{second}", RepoStatus("platform")!.LastAppliedRevision);
            Assert.Equal($"main@sha1:{second}", RepoStatus("platform")!.LastFetchedRevision);
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact]
    public async Task The_sync_endpoint_fetches_now_for_an_operator_and_lists_the_repository()
    {
        var web = Instance.Name("sync-web");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, interval: "1h"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);

        Repo.Write("web.yaml", Sleepy(web, 1));
        var second = Repo.CommitAndPush("web v1");
        using var client = Agent.Client();
        var anonymous = await client.PostAsync("/api/v1/gitrepositories/platform/sync", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var token = File.ReadAllLines(Path.Combine(Agent.StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var sync = await client.PostAsync("/api/v1/gitrepositories/platform/sync?wait=true", null);
        Assert.Equal(HttpStatusCode.Accepted, sync.StatusCode);
        Assert.Contains($"main@sha1:{second}", await sync.Content.ReadAsStringAsync());
        await WaitForCommandAsync(web, 1);
        var missing = await client.PostAsync("/api/v1/gitrepositories/nope/sync", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var list = await ApiAsync("/api/v1/gitrepositories");
        var item = Assert.Single(list.EnumerateArray());
        Assert.Equal("platform", item.GetProperty("name").GetString());
        Assert.Equal(Repo.FileUrl, item.GetProperty("url").GetString());

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var metrics = await client.GetStringAsync("/metrics");
        var sourceLines = string.Join("\n", metrics.Split('\n').Where(l => l.Contains("agent_source", StringComparison.Ordinal)));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "agent_source_sync_total\\{[^}]*result=\"applied\""), sourceLines);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "agent_source_sync_total\\{[^}]*source=\"GitRepository/platform\""), sourceLines);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "agent_source_last_sync_timestamp_seconds\\{[^}]*source=\"GitRepository/platform\""), sourceLines);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/readyz/sources")).StatusCode);
    }
}
