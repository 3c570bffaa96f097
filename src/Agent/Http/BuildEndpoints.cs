using System.Formats.Tar;
using System.Text;
using Agent.Auth;
using Agent.Core.Build;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Hosting;
using Agent.Reconciliation;
using Microsoft.AspNetCore.Mvc;
using Agent.Tasks;
using Microsoft.Extensions.Options;

namespace Agent.Http;

/// <summary>
/// POST /images/build: the classic builder through the Engine API, from a context tar (application/x-tar, build fields
/// as query values) or from JSON with an inline Dockerfile. Every build is a task: without async the builder's lines
/// stream back as NDJSON while it runs (and the build stops when the client goes away); with async=true the answer is
/// 202 with Location /api/v1/tasks/{id}. Built images carry agent.built-by (never an ownership label: containers inherit
/// image labels) and, when run, pass the same security policy as any image.
/// </summary>
public static class BuildEndpoints
{
    /// <summary>The JSON form: an inline Dockerfile and no other context files.</summary>
    public sealed record BuildBody(string Tag, string DockerfileInline, Dictionary<string, string>? BuildArgs, string? Target, Dictionary<string, string>? Labels);

    public static RouteGroupBuilder MapBuildEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/images/build", Build).RequireAuthorization(Roles.Admin).WithMetadata(OwnBodyLimit.Instance)
            .Accepts<BuildBody>("application/json", "application/x-tar")
            .WithSummary("Build an image (docker build -t TAG): a context tar (query: tag, dockerfile, target, buildArg=K=V, label=K=V) or JSON "
                         + "{tag, dockerfileInline, buildArgs, target, labels}. Streams the builder's output as NDJSON ({\"stream\"} lines, then {\"result\"} or {\"error\"}); "
                         + "async=true answers 202 with Location /api/v1/tasks/{id}. A tag that already names an image, or that a manifest or an agent container uses, is a 409 (naming them) unless force=true.");
        return api;
    }

    /// <summary>The build's fields as query values: the context tar form's; the JSON form takes them in its body.</summary>
    private static readonly string[] TarFormKeys = ["tag", "dockerfile", "target", "buildArg", "label"];

    private static async Task<IResult> Build(HttpContext http, bool? async, string? tag, string? dockerfile, string? target,
        [FromQuery] string[]? buildArg, [FromQuery] string[]? label, bool? force, IContainerEngine engine, TaskStore tasks, AgentLabels labels, IOptions<AgentOptions> options,
        SecurityPolicy policy, ImageUsers users, ImageNameReservations reservations, CancellationToken ct)
    {
        ImageBuildRequest request;
        Upload context;
        string? inline = null;
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            if (TarFormKeys.FirstOrDefault(k => http.Request.Query.ContainsKey(k)) is { } queried)
                return ApiProblems.BadRequest($"query parameter {queried} is for a context tar (application/x-tar): the JSON form takes tag, buildArgs, target and labels in its body");
            var (body, error) = await StrictJson.ReadAsync<BuildBody>(http, ct);
            if (error is not null) return ApiProblems.BadBody(error);
            if (string.IsNullOrWhiteSpace(body!.DockerfileInline)) return ApiProblems.BadRequest("dockerfileInline is required in the JSON form (or send a context tar as application/x-tar)");
            request = new ImageBuildRequest(body.Tag)
            {
                Dockerfile = BuildContext.InlineDockerfile,
                Args = body.BuildArgs ?? [],
                Target = body.Target,
                Labels = body.Labels ?? [],
            };
            context = new Upload { Stream = await InlineContextAsync(body.DockerfileInline, ct) };
            inline = body.DockerfileInline;
        }
        else if (http.Request.ContentType?.StartsWith("application/x-tar", StringComparison.OrdinalIgnoreCase) == true)
        {
            var args = Pairs(buildArg, "buildArg");
            var extra = Pairs(label, "label");
            if ((args.Error ?? extra.Error) is { } pairError) return ApiProblems.BadRequest(pairError);
            if (dockerfile is not null && (dockerfile.Length == 0 || dockerfile.StartsWith('/') || dockerfile.Split('/').Contains("..")))
                return ApiProblems.BadRequest("dockerfile must be a path inside the context, e.g. docker/Dockerfile");
            request = new ImageBuildRequest(tag ?? "") { Dockerfile = dockerfile ?? "Dockerfile", Args = args.Pairs, Target = target, Labels = extra.Pairs };
            context = await Uploads.BufferAsync(http, options.Value.Images.MaxBuildContextBytes, "Agent:Images:MaxBuildContextBytes", ct);
            if (context.Problem is { } problem) return problem;
        }
        else return ApiProblems.BadRequest("send a context tar as application/x-tar, or JSON {\"tag\", \"dockerfileInline\"} as application/json");

        if (ImageEndpoints.ImageNameProblem("tag", request.Tag, digestAllowed: false,
                inline is not null ? "{\"tag\": NAME[:TAG]} in the JSON body" : "query tag=NAME[:TAG] with the context tar") is { } badTag)
        {
            await context.DisposeAsync();
            return badTag;
        }
        if (DeclaredResources.ReservedLabel(labels, request.Labels.Keys) is { } reserved)
        {
            await context.DisposeAsync();
            return ApiProblems.BadRequest($"{reserved} (a container inherits its image's labels)");
        }
        // The tag is held from this check until the build has tagged it: a second build of it (force or not) is refused
        // rather than re-pointing it under this one.
        var taskId = TaskStore.NewId();
        var reservation = reservations.TryReserve(request.Tag, $"being built by task {taskId}");
        if (reservation is null)
        {
            await context.DisposeAsync();
            return ImageRepointing.Busy(reservations.Refusal(request.Tag) ?? $"{request.Tag} is being built");
        }
        AgentTask? task = null;
        try
        {
            // The build names its image as a tag would: the same rule, judged before the builder runs.
            if (await ImageRepointing.RefusedAsync(request.Tag, null, force == true, "build", engine, users, ct) is { } taken)
            {
                await context.DisposeAsync();
                return taken;
            }
            // The builder pulls a missing base image (it passes the image allowlist like a service's image), runs its ONBUILD
            // triggers and fetches ADD URLs from the host's network (refused), as in manifest builds.
            var dockerfileText = inline;
            if (inline is null)
            {
                // The builder gets the context as the agent read it, so the Dockerfile judged below is the one it runs.
                var rewritten = Uploads.TemporaryFile();
                var read = await ContextArchive.RewriteAsync(context.Stream!, rewritten, request.Dockerfile, defaultName: dockerfile is null,
                    options.Value.Images.MaxBuildContextBytes, ct);
                await context.DisposeAsync();
                if (read.Problem is { } unreadable)
                {
                    await rewritten.DisposeAsync();
                    return read.TooLarge
                        ? Uploads.TooLarge(options.Value.Images.MaxBuildContextBytes, "Agent:Images:MaxBuildContextBytes").Problem!
                        : ApiProblems.BadRequest(unreadable);
                }
                context = new Upload { Stream = read.Tar };
                dockerfileText = read.Dockerfile;
                request = request with { Dockerfile = read.DockerfileName! };
            }
            if (await DockerfileAdmission.RefusedAsync(engine, dockerfileText!, inline is null ? request.Dockerfile : "dockerfileInline", request.Args, policy.Options, ct) is { } refused)
            {
                await context.DisposeAsync();
                return ApiProblems.BadRequest(refused);
            }
            request = request with { Labels = new Dictionary<string, string>(request.Labels) { [labels.BuiltBy] = labels.InstanceId } };

            task = tasks.Start("build", request.Tag, async (t, token) =>
            {
                using (reservation)
                {
                    await using (context)
                    {
                        await engine.BuildImageAsync(context.Stream!, request, new LineProgress(t), token);
                    }
                    if (await BuiltImageLabels.RemoveIfClaimingOwnershipAsync(engine, labels, request.Tag, token) is { } claimed) throw new InvalidDataException(claimed);
                    var image = await engine.InspectImageAsync(request.Tag, token);
                    return new BuildResult(request.Tag, image?.Id);
                }
            }, async == true ? CancellationToken.None : ct, taskId);
            // A task cancelled while queued never runs its work.
            _ = task.WhenDoneAsync(CancellationToken.None).ContinueWith(_ => reservation.Dispose(), TaskScheduler.Default);

            if (async == true)
                return JsonAnswer.Accepted($"/api/v1/tasks/{task.Id}", TaskEndpoints.View(task));
            return new TaskLogResult(task);
        }
        finally
        {
            if (task is null) reservation.Dispose();
        }
    }

    public sealed record BuildResult(string Image, string? Id);

    private static (Dictionary<string, string> Pairs, string? Error) Pairs(string[]? values, string name)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            var eq = value.IndexOf('=');
            if (eq <= 0) return (pairs, $"{name}=\"{value}\" must be KEY=VALUE");
            pairs[value[..eq]] = value[(eq + 1)..];
        }
        return (pairs, null);
    }

    private static async Task<Stream> InlineContextAsync(string dockerfile, CancellationToken ct)
    {
        var stream = new MemoryStream();
        await using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, BuildContext.InlineDockerfile)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)),
            }, ct);
        stream.Position = 0;
        return stream;
    }

    /// <summary>The builder's output into the task's log, one entry per line.</summary>
    private sealed class LineProgress(AgentTask task) : IProgress<string>
    {
        public void Report(string value)
        {
            foreach (var line in value.Split('\n')) task.Append(line.TrimEnd('\r'));
        }
    }

    /// <summary>Streams a task's log as NDJSON until it is done, then its result or error.</summary>
    public sealed class TaskLogResult(AgentTask task, bool follow = true) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            http.Response.Headers["X-Agent-Task"] = task.Id;
            await Ndjson.WriteAsync(http.Response, new TaskLine(task.Id, task.State), ct);
            await foreach (var line in task.ReadLinesAsync(follow, ct)) await Ndjson.WriteAsync(http.Response, new StreamLine(line), ct);
            if (task.State == TaskState.Succeeded) await Ndjson.WriteAsync(http.Response, new ResultLine(task.Result), ct);
            else if (task.State is TaskState.Failed or TaskState.Cancelled) await Ndjson.WriteAsync(http.Response, new ErrorLine(task.Error), ct);
        }
    }
}
