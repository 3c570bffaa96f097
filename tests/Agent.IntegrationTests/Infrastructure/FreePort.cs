using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// Loopback ports for servers a test starts (agent processes, git daemon, sshd, registries). Taken below the kernel's
/// ephemeral range (ip_local_port_range, 32768-60999 by default), where the engine's published ports and every
/// outgoing connection's source port come from: a port found free by binding port 0 could be taken by any of those
/// before the server binds it ("Address already in use" on a loaded machine). Never the same one twice in a test run.
/// </summary>
public static class FreePort
{
    private const int First = 20000, Last = 32767;
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Sync = new();

    public static int Next()
    {
        lock (Sync)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(First, Last + 1);
                if (Given.Contains(port) || !IsFree(port)) continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {First}-{Last}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits (generously: a loaded machine starts servers slowly) until <paramref name="process"/> listens.</summary>
    public static void WaitListening(int port, Process process, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{what} exited: {process.StandardError.ReadToEnd()}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new TimeoutException($"{what} does not listen on 127.0.0.1:{port}");
    }
}
