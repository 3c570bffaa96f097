using System.Diagnostics;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A second dockerd of the test's own (its own socket, data-root, exec-root, pidfile and containerd), so a test can
/// stop and start an engine without touching the one every other test uses.
/// </summary>
public sealed class PrivateEngine : IAsyncDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ae-").FullName; // short: unix socket paths are limited
    // Its own default bridge: with --bridge=none a dockerd deletes docker0, which belongs to the main engine.
    private readonly string bridge = "agt" + Guid.NewGuid().ToString("N")[..8];
    private readonly string subnet = $"10.213.{Random.Shared.Next(1, 254)}";
    private bool bridgeMade;
    private Process? process;

    public string Socket => Path.Combine(dir, "d.sock");

    /// <summary>Its --data-root (every container's files, image layers, volumes).</summary>
    public string DataRoot => Path.Combine(dir, "data");
    public string Host => "unix://" + Socket;

    public async Task StartAsync()
    {
        if (!bridgeMade)
        {
            var (exit, _, stderr) = await ExternalTool.ShellAsync($"ip link add {bridge} type bridge && ip addr add {subnet}.1/24 dev {bridge} && ip link set {bridge} up");
            if (exit != 0) throw new InvalidOperationException($"cannot make bridge {bridge} for the private engine: {stderr}");
            bridgeMade = true;
        }
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        Directory.CreateDirectory(Path.Combine(dir, "exec"));
        var info = new ProcessStartInfo("dockerd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
                 {
                     "--host", Host, "--data-root", Path.Combine(dir, "data"), "--exec-root", Path.Combine(dir, "exec"),
                     // No --default-address-pool: with one, a dockerd started again on its data-root deletes the host's
                     // docker0 (seen with 20.10.24), which belongs to the main engine.
                     "--pidfile", Path.Combine(dir, "d.pid"), "--bridge", bridge, "--iptables=false", "--ip-masq=false",
                 })
            info.ArgumentList.Add(arg);
        process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dockerd");
        var log = Path.Combine(dir, "dockerd.log");
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = Task.Run(async () =>
        {
            await using var file = File.Open(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            await process.StandardError.BaseStream.CopyToAsync(file);
        });
        try
        {
            await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("-H", Host, "version")).Exit == 0, TimeSpan.FromSeconds(60), "private dockerd answers");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\ndockerd log:\n{string.Join("\n", File.ReadLines(log).TakeLast(15))}", e);
        }
    }

    /// <summary>Copies an image from the main engine (no registry here).</summary>
    public async Task LoadImageAsync(string image)
    {
        var (exit, _, stderr) = await ExternalTool.ShellAsync($"docker save {image} | docker -H {Host} load");
        if (exit != 0) throw new InvalidOperationException($"cannot load {image} into the private engine: {stderr}");
    }

    public async Task TerminateAsync()
    {
        if (process is null) return;
        await ExternalTool.ShellAsync($"kill -TERM {process.Id}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process = null;
    }

    /// <summary>A crash: SIGKILL, no shutdown, and of the containerd it started too (its output goes to this test's pipe,
    /// so it would outlive the daemon and hold its database: the next one's containerd could not start). The containers
    /// keep running under their shims; the next start finds them and kills them (no live-restore) before it listens.</summary>
    public async Task KillAsync()
    {
        if (process is null) return;
        await ExternalTool.ShellAsync($"kill -KILL {process.Id}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process = null;
        await ExternalTool.ShellAsync($"pkill -KILL -f 'containerd --config {dir}/exec/' || true");
        // Its pid file names a process that may linger unreaped here (no init reaps it at once), which the next dockerd
        // takes for a running containerd and waits on until it gives up; a host's init reaps it, and the file is stale.
        await Eventually.TrueAsync(async () => (await ExternalTool.ShellAsync($"pgrep -f 'containerd --config {dir}/exec/'")).Exit != 0,
            TimeSpan.FromSeconds(30), "the killed engine's containerd gone");
        File.Delete(Path.Combine(dir, "exec", "containerd", "containerd.pid"));
    }

    public Task<(int Exit, string Stdout, string Stderr)> CliAsync(params string[] args) => DockerCli.TryRunAsync(["-H", Host, .. args]);

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            var ids = (await CliAsync("ps", "-aq")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0) await CliAsync(["rm", "-f", .. ids]);
            // Its networks' bridge interfaces live in the host's namespace and outlive the daemon: remove them first.
            await CliAsync("network", "prune", "-f");
            if ((await CliAsync("network", "ls", "-q", "--filter", "type=custom")).Stdout.Trim().Length > 0)
            {
                // A network with a stale endpoint (moby#42119) can be removed only after the daemon restarts.
                await TerminateAsync();
                await StartAsync();
                await CliAsync("network", "prune", "-f");
            }
            await TerminateAsync();
        }
        // A containerd left by a killed dockerd (KillAsync) outlives the daemon that reused it.
        await ExternalTool.ShellAsync($"pkill -KILL -f '{dir}/exec/containerd' || true");
        await ExternalTool.ShellAsync($"grep ' {dir}/' /proc/mounts | awk '{{print $2}}' | sort -r | xargs -r -n1 umount -l; rm -rf {dir}");
        if (bridgeMade) await ExternalTool.ShellAsync($"ip link del {bridge}");
    }
}
