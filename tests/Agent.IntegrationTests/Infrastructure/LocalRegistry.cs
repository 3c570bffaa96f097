using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// A real registry (Debian's docker-registry, Distribution 2.8) on a free loopback port with htpasswd (bcrypt) auth and
/// its own storage folder; stopped and deleted on dispose. The engine treats 127.0.0.0/8 registries as insecure, so
/// plain http works. Registry files for the agent (user and password) are written beside it.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string User = "agent-ci";
    public const string Password = "p4ss-for-the-test-registry";

    private Process? process;

    public string Folder { get; } = Directory.CreateTempSubdirectory("agent-it-registry-").FullName;
    public int Port { get; private set; }

    /// <summary>The registry host as image references name it.</summary>
    public string Host => $"localhost:{Port}";
    public string UsernameFile => Path.Combine(Folder, "username");
    public string PasswordFile => Path.Combine(Folder, "password");

    public static async Task<LocalRegistry> StartAsync()
    {
        var registry = new LocalRegistry();
        try
        {
            await registry.RunAsync();
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    private async Task RunAsync()
    {
        var (exit, htpasswd, error) = await ExternalTool.RunAsync("htpasswd", ["-Bbn", User, Password]);
        if (exit != 0) throw new InvalidOperationException($"htpasswd failed: {error}");
        await File.WriteAllTextAsync(Path.Combine(Folder, "htpasswd"), htpasswd);
        await File.WriteAllTextAsync(UsernameFile, User + "\n");
        await File.WriteAllTextAsync(PasswordFile, Password + "\n");
        Directory.CreateDirectory(Path.Combine(Folder, "data"));
        Port = FreePort.Next();
        await File.WriteAllTextAsync(Path.Combine(Folder, "config.yml"), $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(Folder, "data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
              secret: agent-test-registry
            auth:
              htpasswd:
                realm: agent-test
                path: {Path.Combine(Folder, "htpasswd")}
            """);
        var info = new ProcessStartInfo("/usr/bin/docker-registry") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(Path.Combine(Folder, "config.yml"));
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"docker-registry is not installed ({e.Message}): run `bash eng/ensure-tools.sh`", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"docker-registry exited with {process.ExitCode}");
            return (await http.GetAsync($"http://127.0.0.1:{Port}/v2/")).StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(60), $"the registry answers on 127.0.0.1:{Port}");
    }

    /// <summary>The tags the registry holds for a repository, read over its HTTP API (an oracle independent of the engine).</summary>
    public async Task<string> TagsAsync(string repository)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        using var response = await http.GetAsync($"http://127.0.0.1:{Port}/v2/{repository}/tags/list");
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : $"{(int)response.StatusCode}";
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process?.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
