using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Bench;

public sealed partial class Bench
{
    /// <summary>busybox httpd in a managed container: wrk straight at its published port, then through the agent's proxy.</summary>
    public async Task ProxyAsync()
    {
        if (!await CommandExistsAsync("wrk"))
        {
            results.Add(new Row("proxy", "wrk", "n/a", "wrk not installed"));
            return;
        }
        Report.Line("wrk against httpd in a container, direct and through the agent's reverse proxy ...");
        var dir = Folder();
        var group = $"{run}-proxy";
        await File.WriteAllTextAsync(Path.Combine(dir, "g.yaml"),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {group}\nspec:\n  services:\n    - name: web\n      image: {Image}\n" +
            "      command: [\"sh\", \"-c\", \"mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www\"]\n" +
            "      stopSignal: SIGKILL\n      ports: [\"127.0.0.1::8080\"]\n");
        var tokens = Path.Combine(Folder(), "tokens");
        await File.WriteAllTextAsync(tokens, "operator:bench-operator-token-0123456789\n");
        var app = await StartAgentAsync(dir, group, new()
        {
            ["Agent:Auth:TokensFile"] = tokens,
            ["Agent:Auth:RateLimitPermits"] = "100000000",
        });
        try
        {
            await WaitRunningAsync(group, 1);
            var name = $"{group}-web-1";
            var (_, port) = await ShellAsync($"docker port {name} 8080 | head -1");
            var agent = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var direct = await WrkAsync($"http://{port.Trim()}/", "");
            results.Add(new Row("proxy, wrk -t2 -c16 10s", "GET / on the published port (direct)", direct.Rps, direct.Detail));
            var proxied = await WrkAsync($"{agent}/api/v1/containers/{name}/proxy/", "-H 'Authorization: Bearer bench-operator-token-0123456789'");
            results.Add(new Row("proxy, wrk -t2 -c16 10s", "GET / through /api/v1/containers/{id}/proxy/", proxied.Rps, proxied.Detail));
        }
        finally
        {
            await app.StopAsync();
            await CleanAsync(group);
        }
    }
}
