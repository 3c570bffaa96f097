using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>`git daemon` serving a folder of bare repositories on a loopback port (git://).</summary>
public sealed class GitDaemon : IDisposable
{
    private readonly Process process;

    public GitDaemon(string basePath)
    {
        Port = FreePort.Next();
        var info = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "daemon", "--reuseaddr", $"--base-path={basePath}", "--export-all", "--listen=127.0.0.1", $"--port={Port}", "--informative-errors", basePath })
            info.ArgumentList.Add(arg);
        process = Process.Start(info) ?? throw new InvalidOperationException("cannot start git daemon");
        FreePort.WaitListening(Port, process, "git daemon");
    }

    public int Port { get; }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
        process.Dispose();
    }
}

/// <summary>A throwaway sshd on a loopback port with its own config, host key and authorized key (never the system's),
/// and a client key and known_hosts file made for the test.</summary>
public sealed class TestSshServer : IDisposable
{
    private readonly Process process;
    private readonly string dir = Directory.CreateTempSubdirectory("agent-it-sshd-").FullName;

    public TestSshServer()
    {
        Port = FreePort.Next();
        KeyFile = Path.Combine(dir, "id_ed25519");
        KnownHostsFile = Path.Combine(dir, "known_hosts");
        var hostKey = Path.Combine(dir, "host_ed25519");
        Keygen(hostKey);
        Keygen(KeyFile);
        File.WriteAllText(Path.Combine(dir, "authorized_keys"), File.ReadAllText(KeyFile + ".pub"));
        File.WriteAllText(KnownHostsFile, $"[127.0.0.1]:{Port} {File.ReadAllText(hostKey + ".pub").Trim()}\n");
        var config = Path.Combine(dir, "sshd_config");
        File.WriteAllText(config, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            PidFile {Path.Combine(dir, "sshd.pid")}
            AuthorizedKeysFile {Path.Combine(dir, "authorized_keys")}
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            AllowUsers {Environment.UserName}
            """);
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege separation folder (compiled in); not its config
        var info = new ProcessStartInfo("/usr/sbin/sshd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-D", "-e", "-f", config }) info.ArgumentList.Add(arg);
        process = Process.Start(info) ?? throw new InvalidOperationException("cannot start sshd");
        FreePort.WaitListening(Port, process, "sshd");
    }

    public int Port { get; }
    public string KeyFile { get; }
    public string KnownHostsFile { get; }
    public string User => Environment.UserName;

    /// <summary>The private key's body (what must never appear anywhere).</summary>
    public string PrivateKeyBody => string.Concat(File.ReadAllLines(KeyFile).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));

    public string Url(string bareRepository) => $"ssh://{User}@127.0.0.1:{Port}{bareRepository}";

    private static void Keygen(string file)
    {
        var (exit, _, stderr) = ExternalTool.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "agent-test", "-f", file]).GetAwaiter().GetResult();
        if (exit != 0) throw new InvalidOperationException($"ssh-keygen failed: {stderr}");
    }

    public void Dispose()
    {
        // Only the listener: a session still running finishes on its own. Killing its tree could cut the login shell's
        // startup files short (e.g. a `pyenv rehash` in root's .bashrc), leaving a lock that stalls every later ssh login.
        if (!process.HasExited) process.Kill();
        process.WaitForExit(10_000);
        process.Dispose();
        Directory.Delete(dir, recursive: true);
    }
}

/// <summary>A git:// remote on a loopback port that either stalls (accepts and never answers: a fetch hangs until it is
/// stopped) or, once <see cref="Stall"/> is false, forwards each new connection to a real git daemon.</summary>
public sealed class StallingRemote : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> held = [];
    private readonly CancellationTokenSource stop = new();
    private readonly int target;

    public StallingRemote(int targetPort)
    {
        target = targetPort;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }
    public volatile bool Stall = true;
    public int Connections;

    public string Url(string repository) => $"git://127.0.0.1:{Port}/{repository}";

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref Connections);
            if (Stall)
            {
                lock (held) held.Add(client);
                continue;
            }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, target, stop.Token);
                var a = client.GetStream().CopyToAsync(upstream.GetStream(), stop.Token);
                var b = upstream.GetStream().CopyToAsync(client.GetStream(), stop.Token);
                await Task.WhenAny(a, b);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
                // the test ended or a side closed
            }
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        lock (held)
            foreach (var c in held) c.Dispose();
    }
}
