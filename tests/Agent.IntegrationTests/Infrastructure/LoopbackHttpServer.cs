using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>`python3 -m http.server` on 127.0.0.1 (a host-loopback-only service), serving a temporary folder and
/// recording the paths asked for: the oracle for "nothing was fetched".</summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder log = new();
    private readonly string folder;

    public int Port { get; }

    private LoopbackHttpServer(Process process, int port, string folder)
    {
        this.process = process;
        Port = port;
        this.folder = folder;
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    /// <summary>The request lines logged so far ("GET /f05 HTTP/1.1").</summary>
    public string Requests
    {
        get { lock (log) return log.ToString(); }
    }

    public static async Task<LoopbackHttpServer> StartAsync(params string[] files)
    {
        var folder = Directory.CreateTempSubdirectory("loopback-http-").FullName;
        foreach (var file in files) await File.WriteAllTextAsync(Path.Combine(folder, file), "fetched-" + file);
        var port = FreePort.Next();
        var info = new ProcessStartInfo("python3") { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-u", "-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1" }) info.ArgumentList.Add(arg);
        var server = new LoopbackHttpServer(Process.Start(info)!, port, folder);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !server.process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
