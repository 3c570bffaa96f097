using System.Net.Sockets;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A unix socket that forwards to the real engine's, byte for byte, until <see cref="Freeze"/>: from then on calls are
/// accepted and nothing moves either way (an engine that is hung, not gone), until <see cref="Thaw"/>. <see cref="CutEvents"/>
/// closes the events stream and refuses it (every other call goes through) until <see cref="RestoreEvents"/>.
/// <see cref="HoldStartEvents"/> lets the events stream run up to the next container start event, then holds it (and
/// everything after it) until <see cref="ReleaseEvents"/>: a busy agent's event pump, a start behind what it has applied.
/// <see cref="CutStarts"/> drops the connection of every container start, before it reaches the engine or after the engine
/// has carried it out (its answer lost), as an engine dying mid-call does, until <see cref="RestoreStarts"/>.
/// </summary>
public sealed class FreezableEngineProxy : IAsyncDisposable
{
    private readonly Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource stop = new();
    private readonly List<Socket> sockets = [];
    private readonly Lock sync = new();
    private TaskCompletionSource open = Open();
    private readonly List<Socket> eventStreams = [];
    private bool eventsCut;

    /// <summary>The events stream drops (its connection is closed) and every new subscription is closed at once.</summary>
    public void CutEvents()
    {
        lock (sync)
        {
            eventsCut = true;
            foreach (var socket in eventStreams) socket.Dispose();
            eventStreams.Clear();
        }
    }

    public void RestoreEvents()
    {
        lock (sync) eventsCut = false;
    }

    private bool? startsCut; // null: starts go through; false: dropped before the engine; true: dropped after it
    private int startsToCut;
    private readonly TaskCompletionSource startCut = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>From now on each container start's connection is closed without an answer, the next <paramref name="count"/>
    /// of them (or all): <paramref name="afterTheEngine"/> false, before the start reaches the engine (the container stays
    /// created); true, once the engine has answered it (the container runs). The task completes at the first start cut.</summary>
    public Task CutStarts(bool afterTheEngine, int count = int.MaxValue)
    {
        lock (sync) (startsCut, startsToCut) = (afterTheEngine, count);
        return startCut.Task;
    }

    /// <summary>How many container starts have been cut.</summary>
    public int StartsCut { get; private set; }

    public void RestoreStarts()
    {
        lock (sync) startsCut = null;
    }

    private TimeSpan startDelay;

    /// <summary>From now on each container start reaches the engine <paramref name="delay"/> late (zero: at once again):
    /// an engine slow to start containers that answers everything else at once.</summary>
    public void DelayStarts(TimeSpan delay)
    {
        lock (sync) startDelay = delay;
    }

    private async Task DelayStartAsync(ReadOnlyMemory<byte> request)
    {
        TimeSpan delay;
        lock (sync) delay = startDelay;
        if (delay <= TimeSpan.Zero) return;
        var head = System.Text.Encoding.ASCII.GetString(request.Span[..Math.Min(request.Length, 200)]);
        if (ContainerStart.IsMatch(head)) await Task.Delay(delay, stop.Token);
    }

    private static readonly System.Text.RegularExpressions.Regex ContainerStart = new(@"^POST /(v[\d.]+/)?containers/[^/ ]+/start[ ?]");

    /// <summary>Null: forward the request; false: drop it; true: forward it and drop the answer.</summary>
    private bool? CutOf(ReadOnlySpan<byte> request)
    {
        lock (sync)
            if (startsCut is null) return null;
        var head = System.Text.Encoding.ASCII.GetString(request[..Math.Min(request.Length, 200)]);
        if (!ContainerStart.IsMatch(head)) return null;
        lock (sync)
        {
            if (startsCut is not { } afterTheEngine) return null;
            StartsCut++;
            if (--startsToCut == 0) startsCut = null;
            return afterTheEngine;
        }
    }

    private TaskCompletionSource? startsHeld;
    private byte[] heldAction = "\"Action\":\"start\""u8.ToArray();

    public void HoldStartEvents() => HoldEvents("start");

    /// <summary>As <see cref="HoldStartEvents"/>, at the next container event of <paramref name="action"/> (destroy, die, ...).</summary>
    public void HoldEvents(string action)
    {
        lock (sync)
        {
            heldAction = System.Text.Encoding.ASCII.GetBytes($"\"Action\":\"{action}\"");
            startsHeld ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseEvents()
    {
        TaskCompletionSource? held;
        lock (sync) (held, startsHeld) = (startsHeld, null);
        held?.TrySetResult();
    }

    private byte[] HeldAction()
    {
        lock (sync) return heldAction;
    }

    private Task? StartsHeld()
    {
        lock (sync) return startsHeld?.Task;
    }

    public FreezableEngineProxy(string path, string upstream = "/var/run/docker.sock")
    {
        Path = path;
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(128);
        _ = Task.Run(() => AcceptAsync(upstream));
    }

    public string Path { get; }

    public void Freeze()
    {
        lock (sync) if (open.Task.IsCompleted) open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Thaw()
    {
        lock (sync) open.TrySetResult();
    }

    private static TaskCompletionSource Open()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private Task Gate()
    {
        lock (sync) return open.Task;
    }

    private async Task AcceptAsync(string upstream)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stop.Token);
                var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                lock (sync) sockets.AddRange([client, server]);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await Gate();
                        await server.ConnectAsync(new UnixDomainSocketEndPoint(upstream), stop.Token);
                        // The first bytes name the request: an events subscription is dropped while events are cut.
                        var first = new byte[64 * 1024];
                        var read = await client.ReceiveAsync(first, SocketFlags.None, stop.Token);
                        if (read == 0) return;
                        var events = System.Text.Encoding.ASCII.GetString(first, 0, Math.Min(read, 200)).Contains("/events", StringComparison.Ordinal);
                        if (events)
                            lock (sync)
                            {
                                if (eventsCut) return;
                                eventStreams.Add(client);
                            }
                        if (await CutAsync(first.AsMemory(0, read), server)) return;
                        await DelayStartAsync(first.AsMemory(0, read));
                        await server.SendAsync(first.AsMemory(0, read), SocketFlags.None, stop.Token);
                        await Task.WhenAny(PumpAsync(client, server, requests: true), PumpAsync(server, client, holdStarts: events));
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // one side closed, or the proxy is disposed
                    }
                    finally
                    {
                        client.Dispose();
                        server.Dispose();
                    }
                });
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // disposed
        }
    }

    /// <summary>True when the request is a container start being cut: sent on to the engine (and its answer waited for)
    /// or not, the caller then closes both sides.</summary>
    private async Task<bool> CutAsync(ReadOnlyMemory<byte> request, Socket server)
    {
        if (CutOf(request.Span) is not { } afterTheEngine) return false;
        if (afterTheEngine)
        {
            await server.SendAsync(request, SocketFlags.None, stop.Token);
            await server.ReceiveAsync(new byte[4096], SocketFlags.None, stop.Token); // the engine's answer: it has started the container
        }
        startCut.TrySetResult();
        return true;
    }

    private async Task PumpAsync(Socket from, Socket to, bool holdStarts = false, bool requests = false)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            await Gate();
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
            if (read == 0) return;
            await Gate(); // bytes read just before a freeze are held back too
            if (requests && await CutAsync(buffer.AsMemory(0, read), to)) return; // a kept-alive connection's next request
            if (requests) await DelayStartAsync(buffer.AsMemory(0, read));
            var sent = 0;
            if (holdStarts && StartsHeld() is { } held && IndexOf(buffer.AsSpan(0, read), HeldAction()) is var at and >= 0)
            {
                // The events before the start's go through; the start (its first bytes already sent: the reader waits mid-event) waits.
                sent = at;
                await to.SendAsync(buffer.AsMemory(0, sent), SocketFlags.None, stop.Token);
                await held;
            }
            await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, stop.Token);
        }
    }

    private static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> what) => data.IndexOf(what);

    public async ValueTask DisposeAsync()
    {
        Thaw();
        await stop.CancelAsync();
        listener.Dispose();
        lock (sync) foreach (var s in sockets) s.Dispose();
        stop.Dispose();
        File.Delete(Path);
    }
}
