using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Agent.Core.Model;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Agent.Engine;

/// <summary>The engine adapter: the one class that calls Docker.DotNet. Each method is one engine
/// call (two for exec), with its failures mapped to <see cref="EngineException"/>s.</summary>
public sealed partial class DockerEngine : IContainerEngine, IDisposable
{
    private readonly DockerClient client;
    private readonly string endpoint;
    private readonly IRegistryCredentials? credentials;

    public DockerEngine(Uri endpoint, IRegistryCredentials? credentials = null, TimeSpan? requestTimeout = null)
    {
        this.endpoint = endpoint.ToString();
        this.credentials = credentials;
        var builder = new DockerClientBuilder().WithEndpoint(endpoint);
        client = (requestTimeout is { } timeout ? builder.WithTimeout(timeout) : builder).Build();
    }

    public static DockerEngine FromEnvironment(string? dockerHost = null, IRegistryCredentials? credentials = null, string labelPrefix = AgentLabels.DefaultPrefix,
        TimeSpan? requestTimeout = null) =>
        new(EngineEndpoint.Resolve(dockerHost), credentials, requestTimeout) { LabelPrefix = labelPrefix };

    public void Dispose()
    {
        client.Dispose();
        http?.Dispose();
    }

    public Task PingAsync(CancellationToken ct) =>
        Call("ping", () => client.System.PingAsync(ct));

    public async Task<bool> AcceptsConnectionsAsync(CancellationToken ct)
    {
        var uri = new Uri(endpoint);
        EndPoint? target = uri.Scheme switch
        {
            "unix" => new UnixDomainSocketEndPoint(uri.LocalPath),
            "tcp" or "http" or "https" when uri.Port > 0 => new DnsEndPoint(uri.Host, uri.Port),
            _ => null,
        };
        if (target is null) return true;
        using var socket = target is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(target, bounded.Token);
            return true;
        }
        catch (SocketException)
        {
            return false; // no listener: the socket file is gone or refuses, the port is closed
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return true; // slow, not refused: cannot be told
        }
    }

    public Task<EngineVersion> GetVersionAsync(CancellationToken ct) => Call("version", async () =>
    {
        var v = await client.System.GetVersionAsync(ct);
        return new EngineVersion(v.Version, v.APIVersion, v.MinAPIVersion ?? "", v.Os, v.Arch, v.KernelVersion ?? "");
    });

    public Task<EngineInfo> GetInfoAsync(CancellationToken ct) => Call("info", async () =>
    {
        var i = await client.System.GetSystemInfoAsync(ct);
        return new EngineInfo(i.Name, i.ServerVersion, (int)i.Containers, (int)i.ContainersRunning, (int)i.Images,
            i.Driver, (int)i.NCPU, i.MemTotal, i.OperatingSystem) { DataRoot = string.IsNullOrEmpty(i.DockerRootDir) ? null : i.DockerRootDir };
    });

    public Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(LabelSelector selector, CancellationToken ct) =>
        Call<IReadOnlyList<ContainerSummary>>("container_list", async () =>
        {
            var list = await client.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = LabelFilter(selector) }, ct);
            return await OwnLabelsAsync(list, ct);
        });

    public Task<IReadOnlyList<ContainerSummary>> ListContainersByIdAsync(IReadOnlyCollection<string> ids, CancellationToken ct) =>
        ids.Count == 0 ? Task.FromResult<IReadOnlyList<ContainerSummary>>([]) : Call<IReadOnlyList<ContainerSummary>>("container_list", async () =>
        {
            var list = await client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["id"] = ids.ToDictionary(id => id, _ => true) },
            }, ct);
            return await OwnLabelsAsync(list.Where(c => ids.Contains(c.ID)).ToList(), ct); // the engine's id filter also matches by prefix
        });

    public Task<ContainerDetails?> InspectContainerAsync(string idOrName, CancellationToken ct) =>
        Call("container_inspect", async () =>
        {
            try
            {
                var details = EngineMapping.ToDetails(await client.Containers.InspectContainerAsync(idOrName, ct));
                return details with { Labels = await OwnLabelsAsync(details.Labels, details.ImageId, ct) };
            }
            catch (DockerContainerNotFoundException)
            {
                return null;
            }
        });

    /// <summary>Creates the container; when its spec carries files (compose secrets and configs from content or
    /// environment), a second call writes them in before anything can start it. If that fails, the container is
    /// removed again: it never runs without its files.</summary>
    public async Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken ct)
    {
        var id = await Call("container_create", async () =>
            (await client.Containers.CreateContainerAsync(ContainerRequestMapper.ToCreateParameters(request), ct)).ID);
        var more = request.Spec.NetworkMode is null ? request.Endpoints?.Skip(1).ToList() ?? [] : [];
        if (request.Spec.Files.Count == 0 && more.Count == 0) return id;
        try
        {
            foreach (var endpoint in more)
                await Call("network_connect", () => client.Networks.ConnectNetworkAsync(endpoint.Address, new NetworkConnectParameters
                {
                    Container = id,
                    EndpointConfig = ContainerRequestMapper.ToEndpoint(endpoint, request.Aliases),
                }, ct), request.Name);
            if (request.Spec.Files.Count > 0)
                await Call("container_archive", async () =>
                {
                    using var tar = ContainerFiles.Tar(request.Spec.Files);
                    await client.Containers.ExtractArchiveToContainerAsync(id, new CopyToContainerParameters { Path = "/" }, tar, ct);
                }, request.Name);
        }
        catch
        {
            await Call("container_remove", () => client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None));
            throw;
        }
        return id;
    }

    // 304 Not Modified (already started / already stopped) is success: every operation is idempotent.
    public Task StartContainerAsync(string id, CancellationToken ct) =>
        Call("container_start", () => client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct));

    public Task StopContainerAsync(string id, TimeSpan? timeout, CancellationToken ct) =>
        Call("container_stop", () => client.Containers.StopContainerAsync(id,
            new ContainerStopParameters { WaitBeforeKillSeconds = Seconds(timeout) }, ct));

    public Task SetRestartPolicyAsync(string id, Core.Model.RestartPolicy policy, CancellationToken ct) =>
        Call("container_update", () => client.Containers.UpdateContainerAsync(id,
            new ContainerUpdateParameters { RestartPolicy = ContainerRequestMapper.ToRestartPolicy(policy) }, ct));

    public Task UnpauseContainerAsync(string id, CancellationToken ct) =>
        Call("container_unpause", () => client.Containers.UnpauseContainerAsync(id, ct));

    public Task RestartContainerAsync(string id, TimeSpan? timeout, CancellationToken ct) =>
        Call("container_restart", () => client.Containers.RestartContainerAsync(id,
            new ContainerRestartParameters { WaitBeforeKillSeconds = Seconds(timeout) }, ct));

    public Task KillContainerAsync(string id, string? signal, CancellationToken ct) =>
        Call("container_kill", () => client.Containers.KillContainerAsync(id,
            new ContainerKillParameters { Signal = signal ?? "SIGKILL" }, ct));

    public Task RemoveContainerAsync(string id, bool force, CancellationToken ct) =>
        Call("container_remove", async () =>
        {
            try
            {
                await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = force }, ct);
            }
            catch (DockerContainerNotFoundException)
            {
                // Already gone is what we wanted.
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict && e.ResponseBody?.Contains("already in progress") == true)
            {
                // Someone else's removal (another of the agent's checks, autoRemove, a user) is under way: done once it
                // is gone, so a caller that goes on never sees the container it removed still listed.
                await WaitGoneAsync(id, ct);
            }
        });

    private async Task WaitGoneAsync(string id, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await client.Containers.InspectContainerAsync(id, ct);
            }
            catch (DockerContainerNotFoundException)
            {
                return;
            }
            await Task.Delay(100, ct);
        }
        throw new EngineConflictException($"container_remove {id}: another removal of it did not finish within 30s");
    }

    public Task RenameContainerAsync(string id, string newName, CancellationToken ct) =>
        Call("container_rename", () => client.Containers.RenameContainerAsync(id, new ContainerRenameParameters { NewName = newName }, ct));

    public async IAsyncEnumerable<LogEntry> GetLogsAsync(string id, LogOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = await Call("container_logs", () => client.Containers.GetContainerLogsAsync(id, new ContainerLogsParameters
        {
            ShowStdout = options.Stdout,
            ShowStderr = options.Stderr,
            Timestamps = options.Timestamps,
            Follow = options.Follow,
            Tail = options.Tail?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all",
            Since = options.Since?.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, ct));
        using (stream)
        {
            // A stream the engine drops (it went away mid-follow) ends in an EngineUnavailableException, as any call does.
            await using var lines = MultiplexedLines.ReadAsync(stream, ct).GetAsyncEnumerator(ct);
            while (true)
            {
                try
                {
                    if (!await lines.MoveNextAsync()) break;
                }
                catch (Exception e) when (e is not (OperationCanceledException or EngineException))
                {
                    throw Map($"container_logs {id}", e);
                }
                yield return lines.Current;
            }
        }
    }

    public Task<ContainerStats> GetStatsAsync(string id, CancellationToken ct) => Call("container_stats", async () =>
    {
        ContainerStatsResponse? last = null;
        await client.Containers.GetContainerStatsAsync(id, new ContainerStatsParameters { Stream = false },
            new SynchronousProgress<ContainerStatsResponse>(s => last = s), ct);
        return EngineMapping.ToStats(id, last ?? throw new EngineException($"The engine sent no stats for container {id}."));
    });

    public async IAsyncEnumerable<ContainerStats> StreamStatsAsync(string id, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<ContainerStatsResponse>(new UnboundedChannelOptions { SingleReader = true });
        var pump = PumpAsync("container_stats", channel.Writer, (progress, token) =>
            client.Containers.GetContainerStatsAsync(id, new ContainerStatsParameters { Stream = true }, progress, token), ct);
        await foreach (var stats in channel.Reader.ReadAllAsync(ct))
            yield return EngineMapping.ToStats(id, stats);
        await pump;
    }

    public Task<ExecResult> ExecAsync(string id, ExecRequest request, CancellationToken ct) => RunExecAsync(id, request, null, ct);

    /// <summary>An exec to its end, with <paramref name="input"/> (when given) as its stdin, closed after it.</summary>
    private Task<ExecResult> RunExecAsync(string id, ExecRequest request, ReadOnlyMemory<byte>? input, CancellationToken ct) => Call("container_exec", async () =>
    {
        var exec = await client.Exec.CreateContainerExecAsync(id, ExecParameters(request, stdin: input is not null), ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (request.Timeout is { } limit && limit <= Core.SaturatingTime.LongestTimer) timeout.CancelAfter(limit);
        var output = new ExecOutput(request.MaxOutputBytes);
        try
        {
            using var stream = await client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), timeout.Token);
            var reading = output.ReadToEndAsync(stream, timeout.Token);
            if (input is { } bytes)
            {
                var array = bytes.ToArray();
                try
                {
                    for (var sent = 0; sent < array.Length; sent += 64 * 1024)
                        await stream.WriteAsync(array, sent, Math.Min(64 * 1024, array.Length - sent), timeout.Token);
                    stream.CloseWrite();
                }
                catch (IOException)
                {
                    // The command ended without reading all of its input (it failed early): its exit code says how.
                }
            }
            await reading;
            var inspect = await client.Exec.InspectContainerExecAsync(exec.ID, ct);
            return output.ToResult(inspect.ExitCode ?? -1, timedOut: false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            var inspect = await client.Exec.InspectContainerExecAsync(exec.ID, ct);
            var killed = inspect.Running && ExecProcess.Kill(inspect.ContainerID, inspect.Pid);
            return output.ToResult(-1, timedOut: true,
                $"exec did not finish within {(request.Timeout is { } execLimit ? Core.Manifests.Durations.Format(execLimit) : "its timeout")}{(killed ? "; the process was killed" : inspect.Running ? "; the process could not be killed from here" : "")}");
        }
    });

    private static ContainerExecCreateParameters ExecParameters(ExecRequest request, bool stdin) => new()
    {
        Cmd = request.Command.ToList(),
        Env = request.Env?.Select(kv => $"{kv.Key}={kv.Value}").ToList()!,
        WorkingDir = request.WorkingDir ?? "",
        User = request.User ?? "",
        Privileged = false,
        AttachStdin = stdin,
        AttachStdout = true,
        AttachStderr = true,
    };

    public IAsyncEnumerable<EngineEvent> StreamEventsAsync(LabelSelector selector, CancellationToken ct) => StreamEventsAsync(selector, null, ct);

    public async IAsyncEnumerable<EngineEvent> StreamEventsAsync(LabelSelector selector, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken ct)
    {
        // Progress<T> would post to the thread pool and reorder events; a channel keeps the engine's order.
        // Each event is stamped as it is read off the stream, before the reader handles the ones ahead of it (ReceivedAt).
        var channel = Channel.CreateUnbounded<(Message Message, long ReceivedAt)>(new UnboundedChannelOptions { SingleReader = true });
        var pump = PumpAsync("events", channel.Writer, (progress, token) =>
            client.System.MonitorEventsAsync(new ContainerEventsParameters { Filters = LabelFilter(selector), Since = EngineMapping.UnixTime(since) },
                new SynchronousProgress<Message>(m => progress.Report((m, System.Diagnostics.Stopwatch.GetTimestamp()))), token), ct);
        await foreach (var (message, receivedAt) in channel.Reader.ReadAllAsync(ct))
            yield return EngineMapping.ToEvent(message) with { ReceivedAt = receivedAt };
        await pump;
    }

    public Task<IReadOnlyList<EngineEvent>> PastEventsAsync(LabelSelector selector, DateTimeOffset until, CancellationToken ct) =>
        Call<IReadOnlyList<EngineEvent>>("events", async () =>
        {
            // A since and an until both in the past: the engine answers what it holds between them and ends the stream.
            var events = new List<EngineEvent>();
            await client.System.MonitorEventsAsync(new ContainerEventsParameters
            {
                Filters = LabelFilter(selector),
                Since = EngineMapping.UnixTime(DateTimeOffset.FromUnixTimeSeconds(1)), // 0 would be "no replay"
                Until = EngineMapping.UnixTime(until),
            }, new SynchronousProgress<Message>(m => events.Add(EngineMapping.ToEvent(m))), ct);
            return events;
        });

    public Task<DateTimeOffset?> ServingSinceAsync(CancellationToken ct) => Call("network_inspect", async () =>
    {
        try
        {
            var bridge = await client.Networks.InspectNetworkAsync("bridge", ct);
            return bridge is { Name: "bridge", Driver: "bridge" } ? new DateTimeOffset(bridge.Created.ToUniversalTime()) : (DateTimeOffset?)null;
        }
        catch (DockerNetworkNotFoundException)
        {
            return null;
        }
    }, "bridge");

    public Task<ImageSummary?> InspectImageAsync(string reference, CancellationToken ct) => Call("image_inspect", async () =>
    {
        try
        {
            var image = await client.Images.InspectImageAsync(reference, ct);
            return new ImageSummary(image.ID, image.RepoTags?.ToList() ?? [], image.Size,
                image.Created is { } created ? new DateTimeOffset(created) : DateTimeOffset.MinValue)
            {
                Labels = EngineMapping.Labels(image.Config?.Labels),
                HasHealthcheck = image.Config?.Healthcheck?.Test is [var first, ..] && first != "NONE",
            };
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }, reference);

    public Task<IReadOnlyList<ImageSummary>> ListImagesAsync(CancellationToken ct) => Call<IReadOnlyList<ImageSummary>>("image_list", async () =>
        (await client.Images.ListImagesAsync(new ImagesListParameters(), ct))
            .Select(i => new ImageSummary(i.ID, i.RepoTags?.ToList() ?? [], i.Size, new DateTimeOffset(i.Created)))
            .ToList());

    public Task PullImageAsync(string reference, IProgress<ImageProgress>? progress, CancellationToken ct) => Call("image_pull", async () =>
    {
        var (image, tag) = ImageReference.Split(reference);
        string? error = null;
        try
        {
            await client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image, Tag = tag }, AuthFor(reference),
                new SynchronousProgress<JSONMessage>(m =>
                {
                    if (m.Error is { } e) error = e.Message;
                    else if (!string.IsNullOrEmpty(m.Status)) progress?.Report(LayerProgress(m));
                }), ct);
        }
        // The engine answers a registry's refusal before any progress line, as its own 500 (probe-37: a 502 "Engine Error"
        // where a refused credential is a 422, like push's): told apart as push's error lines are. A missing image stays 404.
        catch (DockerApiException e) when (e.StatusCode != HttpStatusCode.NotFound
                                           && RegistryFailure("", EngineMapping.ErrorMessage(e.ResponseBody)) is RegistryAuthException or RegistryUnreachableException)
        {
            throw RegistryFailure($"Pulling {reference} failed", EngineMapping.ErrorMessage(e.ResponseBody), e, CredentialHint(reference));
        }
        if (error is not null) throw RegistryFailure($"Pulling {reference} failed", error, hint: CredentialHint(reference));
    }, reference);

    public Task BuildImageAsync(Stream tarContext, string tag, IProgress<string>? progress, CancellationToken ct) =>
        BuildImageAsync(tarContext, new ImageBuildRequest(tag), progress, ct);

    public Task BuildImageAsync(Stream tarContext, ImageBuildRequest request, IProgress<string>? progress, CancellationToken ct) => Call("image_build", async () =>
    {
        string? error = null;
        var tag = request.Tag;
        var parameters = new ImageBuildParameters
        {
            Tags = [tag],
            Remove = true,
            ForceRemove = true, // a failed step's container too, or each failed build leaves one behind
            Dockerfile = request.Dockerfile,
            BuildArgs = request.Args.ToDictionary(),
            Labels = request.Labels.ToDictionary(),
        };
        if (request.Target is { } target) parameters.Target = target;
        if (request.CacheFrom.Count > 0) parameters.CacheFrom = request.CacheFrom.ToList();
        var stepContainers = new List<string>();
        try
        {
            await client.Images.BuildImageFromDockerfileAsync(parameters, tarContext, null, null,
                new SynchronousProgress<JSONMessage>(m =>
                {
                    if (m.Error is { } e) error = e.Message;
                    else if (!string.IsNullOrWhiteSpace(m.Stream))
                    {
                        if (BuildStepContainer().Match(m.Stream) is { Success: true } step) stepContainers.Add(step.Groups[1].Value);
                        progress?.Report(m.Stream.TrimEnd());
                    }
                }), ct);
        }
        catch (Exception e) when (ct.IsCancellationRequested) // an aborted stream read surfaces as IOException too
        {
            await RemoveBuildStepContainersAsync(stepContainers);
            throw new OperationCanceledException($"building {tag} was cancelled", e, ct);
        }
        if (error is not null) throw new EngineException($"Building {tag} failed: {error}");
    }, request.Tag);

    /// <summary>A cancelled build leaves its running step's container to the engine, which removes it some seconds later
    /// (or never, when it goes away meanwhile): the agent removes the containers the builder reported itself.</summary>
    private async Task RemoveBuildStepContainersAsync(IEnumerable<string> ids)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var id in ids)
        {
            try
            {
                await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, timeout.Token);
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or OperationCanceledException)
            {
                // Gone already, or the engine's own clean-up is removing it (409): nothing left to do.
            }
        }
    }

    public Task RemoveImageAsync(string reference, bool force, CancellationToken ct) =>
        Call("image_remove", () => client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = force }, ct), reference);

    public Task<ImagePruneResult> PruneImagesAsync(CancellationToken ct) => PruneImagesAsync(ImagePruneFilter.Dangling, ct);

    public Task<IReadOnlyList<NetworkSummary>> ListNetworksAsync(LabelSelector selector, CancellationToken ct) =>
        Call<IReadOnlyList<NetworkSummary>>("network_list", async () =>
            (await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = LabelFilter(selector) }, ct))
                .Select(n => new NetworkSummary(n.ID, n.Name, n.Driver, EngineMapping.Labels(n.Labels)))
                .ToList());

    public Task<IReadOnlyList<NetworkSummary>> FindNetworksByNameAsync(string name, CancellationToken ct) =>
        Call<IReadOnlyList<NetworkSummary>>("network_list", async () =>
            (await client.Networks.ListNetworksAsync(new NetworksListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
            }, ct))
                .Where(n => n.Name == name) // the engine's name filter matches substrings
                .Select(n => new NetworkSummary(n.ID, n.Name, n.Driver, EngineMapping.Labels(n.Labels)))
                .ToList(), name);

    public Task<string> CreateNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        CreateNetworkAsync(name, new Core.Model.NetworkSpec(name), labels, ct);

    public Task<string> CreateNetworkAsync(string name, Core.Model.NetworkSpec definition, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        Call("network_create", async () => (await client.Networks.CreateNetworkAsync(ContainerRequestMapper.ToNetworkParameters(name, definition, labels), ct)).ID, name);

    public Task RemoveNetworkAsync(string idOrName, CancellationToken ct) => Call("network_remove", async () =>
    {
        try
        {
            await client.Networks.DeleteNetworkAsync(idOrName, ct);
        }
        catch (DockerNetworkNotFoundException)
        {
        }
    });

    public Task<IReadOnlyList<VolumeSummary>> ListVolumesAsync(LabelSelector selector, CancellationToken ct) =>
        Call<IReadOnlyList<VolumeSummary>>("volume_list", async () =>
            ((await client.Volumes.ListAsync(new VolumesListParameters { Filters = LabelFilter(selector) }, ct)).Volumes ?? [])
                .Select(v => new VolumeSummary(v.Name, v.Driver, v.Mountpoint, EngineMapping.Labels(v.Labels)) { Options = EngineMapping.Labels(v.Options) })
                .ToList());

    public Task<VolumeSummary?> InspectVolumeAsync(string name, CancellationToken ct) => Call("volume_inspect", async () =>
    {
        try
        {
            var v = await client.Volumes.InspectAsync(name, ct);
            return new VolumeSummary(v.Name, v.Driver ?? "", v.Mountpoint ?? "", EngineMapping.Labels(v.Labels))
            {
                Options = EngineMapping.Labels(v.Options),
            };
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return (VolumeSummary?)null;
        }
    }, name);

    public Task CreateVolumeAsync(string name, string driver, IReadOnlyDictionary<string, string> driverOptions, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        Call("volume_create", () => client.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = name,
            Driver = driver,
            DriverOpts = driverOptions.ToDictionary(),
            Labels = labels.ToDictionary(),
        }, ct));

    public Task RemoveVolumeAsync(string name, CancellationToken ct) => Call("volume_remove", async () =>
    {
        try
        {
            await client.Volumes.RemoveAsync(name, false, ct);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
    });

    private static IDictionary<string, IDictionary<string, bool>> LabelFilter(LabelSelector selector) =>
        new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = selector.Labels.ToDictionary(label => label, _ => true),
        };

    private static uint? Seconds(TimeSpan? timeout) => timeout is { } t ? (uint)Math.Max(0, Math.Ceiling(t.TotalSeconds)) : null;

    private Task PumpAsync<T>(string operation, ChannelWriter<T> writer, Func<IProgress<T>, CancellationToken, Task> run, CancellationToken ct) =>
        Task.Run(async () =>
        {
            try
            {
                await Call(operation, () => run(new SynchronousProgress<T>(item => writer.TryWrite(item)), ct));
                writer.TryComplete();
            }
            catch (Exception e)
            {
                writer.TryComplete(e);
            }
        }, CancellationToken.None);

    private async Task Call(string operation, Func<Task> action, string? subject = null) =>
        await Call<bool>(operation, async () => { await action(); return true; }, subject);

    private async Task<T> Call<T>(string operation, Func<Task<T>> action, string? subject = null)
    {
        // Docker.DotNet puts an image reference into the request path as it is, and the engine cleans `..` segments:
        // "../../containers/x" would inspect a container. Only a reference by the grammar reaches the engine.
        if (operation.StartsWith("image_", StringComparison.Ordinal) && subject is not null
            && Core.Security.Identifiers.Image(subject) != Core.Security.IdentifierCheck.Valid)
            throw new EngineException($"{Spoken(operation)}: \"{subject}\" is not an image reference ([registry/]name[:tag][@digest], no .. or //)", 400);
        try
        {
            var result = await action();
            EngineMetrics.Record(operation, "ok");
            return result;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (ObjectDisposedException e)
        {
            // The agent is shutting down and its client went while a call (a stop's grace) still ran: the engine goes on
            // with it, the next run of the agent sees its outcome (probe-29: "container_stop failed: The
            // CancellationTokenSource has been disposed" logged as a failure).
            throw new OperationCanceledException($"{Spoken(operation)}: the agent is shutting down; the engine finishes the call on its own", e);
        }
        catch (EngineException)
        {
            EngineMetrics.Record(operation, "error");
            throw;
        }
        catch (Exception e)
        {
            var mapped = Map(subject is null ? Spoken(operation) : $"{Spoken(operation)} {subject}", e);
            EngineMetrics.Record(operation, mapped is EngineUnavailableException ? "unavailable" : "error");
            throw mapped;
        }
    }

    private EngineException Map(string operation, Exception e) => e switch
    {
        DockerApiException { StatusCode: HttpStatusCode.Unauthorized } api => new RegistryAuthException(Describe(operation, api), api),
        DockerApiException { StatusCode: HttpStatusCode.NotFound } api => new EngineNotFoundException(Describe(operation, api), api),
        DockerApiException { StatusCode: HttpStatusCode.Conflict } api => new EngineConflictException(Describe(operation, api), api),
        DockerApiException api => new EngineException(Describe(operation, api), (int)api.StatusCode, api),
        HttpRequestException or SocketException or IOException or TimeoutException => new EngineUnavailableException(endpoint, e),
        _ when e.GetBaseException() is SocketException or IOException => new EngineUnavailableException(endpoint, e),
        _ => new EngineException($"{operation} failed: {e.Message}", null, e),
    };

    /// <summary>An operation as messages say it: "image pull", "container start" (docker's own command words), not the
    /// metric's label "image_pull" (probe-42 F4: a pull of a missing tag answered "image_pull REF failed (404)").</summary>
    public static string Spoken(string operation) => operation.Replace('_', ' ');

    private static string Describe(string operation, DockerApiException e)
    {
        var body = EngineMapping.ErrorMessage(e.ResponseBody);
        return $"{operation} failed ({(int)e.StatusCode}): {body}";
    }
}
