using Agent.Auth;
using Agent.Core.Git;
using Agent.Core.Model;
using Agent.Sources;
using Agent.Status;

namespace Agent.Http;

/// <summary>GitRepositories: status, a sync on request, and push webhooks (signed with a secret from a file).</summary>
public static class GitRepositoryEndpoints
{
    private const int MaxHookBody = 1024 * 1024;

    public static RouteGroupBuilder MapGitRepositoryEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/gitrepositories", (ManifestStore manifests, GitRepositoryStatusStore status, StatusStore objects) =>
                JsonAnswer.Ok(manifests.Repositories.Select(r => StatusOf(r, manifests, status, objects)).ToList()))
            .WithSummary("List GitRepositories: URL (credentials never shown), ref, last applied revision (main@sha1:…), conditions Ready/Reconciling/Stalled.");
        api.MapGet("/gitrepositories/{name}", (string name, ManifestStore manifests, GitRepositoryStatusStore status, StatusStore objects) =>
                manifests.Repositories.FirstOrDefault(r => r.Metadata.Name == name) is { } repo ? JsonAnswer.Ok(StatusOf(repo, manifests, status, objects)) : NoRepository(name))
            .WithSummary("One GitRepository, with the errors of the last revision that was refused.");
        api.MapPost("/gitrepositories/{name}/sync", async (string name, bool? wait, GitSyncService git, ManifestStore manifests, GitRepositoryStatusStore status,
                StatusStore objects, Reconciliation.PruneGate prune, TimeProvider time, CancellationToken ct) =>
            {
                var request = git.RequestSync(name);
                if (!request.Found) return NoRepository(name);
                if (request.IsSuspended)
                    return Results.Problem(statusCode: 409, title: "Suspended",
                        detail: $"GitRepository {name} is suspended (spec.suspend: true): nothing is fetched or applied until it is resumed");
                if (wait == true)
                {
                    await git.WaitAsync(name, request.Number, TimeSpan.FromMinutes(5), ct);
                    await AppliedReadAsync(name, manifests, status, prune, time, ct);
                }
                return wait == true && manifests.Repositories.FirstOrDefault(r => r.Metadata.Name == name) is { } synced
                    ? JsonAnswer.Accepted($"/api/v1/gitrepositories/{name}", StatusOf(synced, manifests, status, objects))
                    : JsonAnswer.Accepted($"/api/v1/gitrepositories/{name}", new GitSyncAnswer(name, Sync: "requested"));
            })
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Fetch the repository now (flux reconcile source git NAME); wait=true answers when that sync ended, with the status; 409 while it is suspended.");
        return api;
    }

    /// <summary>POST /hooks/{name}: no bearer token; the body must be signed with the GitRepository's spec.webhook.secretFile.</summary>
    public static WebApplication MapGitWebhooks(this WebApplication app)
    {
        app.MapPost("/hooks/{name}", Hook).AllowAnonymous().DisableAntiforgery()
            .WithSummary("Push webhook from GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token) or Gitea (X-Gitea-Signature): 202 and a sync of the repository; a push to another ref or to a suspended repository is 202 and ignored; a bad signature is 401.");
        return app;
    }

    private static async Task<IResult> Hook(string name, HttpRequest request, ManifestStore manifests, GitSyncService git, GitCli cli, ILogger<GitSyncService> logger, CancellationToken ct)
    {
        var repo = manifests.Repositories.FirstOrDefault(r => r.Metadata.Name == name);
        if (repo?.Spec.WebhookSecretFile is not { } secretFile)
            return NoRepository(name, repo is null ? "" : " with spec.webhook.secretFile");
        var body = await ReadBodyAsync(request, ct);
        if (body is null) return Results.Problem(statusCode: 413, title: "Content Too Large", detail: $"a webhook body may hold at most {MaxHookBody} bytes");
        // One answer for every refusal: an unauthenticated caller learns nothing of the secret file's state (missing,
        // unreadable, empty); the reason goes to the log.
        byte[] secret;
        try
        {
            // One line of at most 4 KiB, from a file the agent may read for a repository: never a whole big file per request;
            // awaited, never blocking a request thread (a FIFO is refused, a hung mount answers 401 after the deadline).
            secret = System.Text.Encoding.UTF8.GetBytes(await GitCli.ReadSecretAsync(cli.Allowed(secretFile, "webhook.secretFile"), "webhook.secretFile", ct));
        }
        catch (GitSyncException e)
        {
            logger.LogWarning("GitRepository {Name}: webhook refused: {Error}", name, e.Message);
            return Refused();
        }
        var error = "";
        var provider = Webhooks.Verify(h => request.Headers.TryGetValue(h, out var v) ? v.ToString() : null, body, secret, out error);
        if (provider is null)
        {
            logger.LogWarning("GitRepository {Name}: webhook refused: {Error}", name, error);
            return Refused();
        }
        var pushed = Webhooks.PushRef(body);
        if (pushed is not null && !repo.Spec.Ref.MovesWith(pushed))
            return JsonAnswer.Accepted(null, new GitSyncAnswer(name, Ignored: $"push to {pushed}; this repository follows {repo.Spec.Ref.PushRef ?? repo.Spec.Ref.Describe()}"));
        if (git.RequestSync(name).IsSuspended) // like Flux's Receiver: a suspended source is skipped, the sender is not failed
            return JsonAnswer.Accepted(null, new GitSyncAnswer(name, provider, Suspended: $"GitRepository {name} is suspended (spec.suspend: true): the push is not fetched"));
        return JsonAnswer.Accepted($"/api/v1/gitrepositories/{name}", new GitSyncAnswer(name, provider, Sync: "requested"));
    }

    private static IResult Refused() => Results.Problem(statusCode: 401, title: "Unauthorized",
        detail: "the webhook is not signed with this repository's secret (X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)");

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxHookBody) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The answer of a sync waited for tells whether its revision is applied: it comes once the manifests have
    /// read that revision and the mass-prune guard has judged the read, so removals it holds show as PruneBlocked, never
    /// as "is applied" (probe-28 F3: the answer said applied for a revision whose 5 removals were held).</summary>
    private static async Task AppliedReadAsync(string name, ManifestStore manifests, GitRepositoryStatusStore status, Reconciliation.PruneGate prune, TimeProvider time, CancellationToken ct)
    {
        var checkedOut = status.Get(name)?.LastAppliedRevision;
        var deadline = time.GetUtcNow() + ReadWait;
        while (checkedOut is not null && manifests.ReadRevision(name) != checkedOut && manifests.SourceError is null && time.GetUtcNow() < deadline)
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct);
        await prune.RefreshAsync(ct);
    }

    private static readonly TimeSpan ReadWait = TimeSpan.FromSeconds(30);

    private static GitRepositoryStatus StatusOf(GitRepository repo, ManifestStore manifests, GitRepositoryStatusStore status, StatusStore objects) =>
        status.Of(repo, manifests, objects.List());

    private static IResult NoRepository(string name, string what = "") =>
        ApiProblems.NotFound($"No GitRepository \"{ApiProblems.Shown(name)}\"{what} in the manifests; list them with GET /api/v1/gitrepositories.");
}
