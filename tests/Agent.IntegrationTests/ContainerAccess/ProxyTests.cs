using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.ContainerAccess;

/// <summary>The reverse proxy through YARP to real containers: busybox httpd (GET, POST to a CGI), a websocket echo
/// server in busybox sh, a closed port, a slow CGI.</summary>
[Collection(ContainerAccessCollection.Name)]
public sealed class ProxyTests(ContainerAccessFixture fx)
{
    private string Proxy(string container) => $"/api/v1/containers/{container}/proxy";

    [Fact]
    public async Task Get_reaches_the_published_port_on_loopback_and_the_answer_is_sandboxed()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var published = await DockerCli.RunAsync("port", fx.Web, "8080");
        var upstream = await op.GetFromJsonAsync<JsonElement>(Proxy(fx.Web));
        Assert.Equal($"http://{published.Split('\n')[0]}/", upstream.GetProperty("url").GetString());
        Assert.Equal("published", upstream.GetProperty("via").GetString());

        var page = await op.GetAsync(Proxy(fx.Web) + "/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("ok\n", await page.Content.ReadAsStringAsync());
        Assert.Contains("sandbox", string.Join(";", page.Headers.GetValues("Content-Security-Policy")));
        var missing = await op.GetAsync(Proxy(fx.Web) + "/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode); // the container's own 404, passed through
        Assert.NotEqual("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Post_streams_a_body_past_the_api_limit_without_the_agents_credentials_or_hop_by_hop_headers()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var body = new byte[2_000_000]; // larger than the API's own 1 MiB body limit: streamed through, not buffered
        Encoding.ASCII.GetBytes("hello body").CopyTo(body, 0);
        using var request = new HttpRequestMessage(HttpMethod.Post, Proxy(fx.Web) + "/cgi-bin/echo?x=1&port=8080") { Content = new ByteArrayContent(body) };
        request.Headers.Connection.Add("X-Hop");
        request.Headers.Add("X-Hop", "must-not-pass");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        var response = await op.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var seen = text.Split('\n').Where(l => l.Contains('=')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
        Assert.Equal("POST", seen["method"]);
        Assert.Equal("x=1", seen["query"]);
        Assert.Equal("", seen["auth"]);
        Assert.Equal("", seen["hop"]);
        Assert.Equal("127.0.0.1", seen["xff"]);
        Assert.Equal("http", seen["xfproto"]);
        Assert.Equal(fx.Agent.BaseAddress.Authority, seen["xfhost"]);

        // The agent's own key in another case or encoding chooses the port and is not passed on either (probe-17).
        foreach (var key in new[] { "PORT", "%70ort" })
        {
            var echoed = await op.GetStringAsync(Proxy(fx.Web) + $"/cgi-bin/echo?x=1&{key}=8080&y=2");
            Assert.Contains("query=x=1&y=2\n", echoed + "\n");
        }
        Assert.Equal(Proxy(fx.Web), seen["xfprefix"]);
        Assert.Equal("2000000", seen["bytes"].Trim());
        Assert.StartsWith("hello body", seen["body"]);
    }

    [Fact]
    public async Task Proxy_without_a_trailing_slash_only_describes_and_other_methods_there_are_405_not_forwarded()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        using var head = await op.SendAsync(new HttpRequestMessage(HttpMethod.Head, Proxy(fx.Web)));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType); // the description's, not the container's page
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Delete, HttpMethod.Put })
        {
            using var refused = await op.SendAsync(new HttpRequestMessage(method, Proxy(fx.Web) + "?port=8080") { Content = new StringContent("x") });
            Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
            Assert.Equal("GET, HEAD", string.Join(", ", refused.Content.Headers.Allow));
            Assert.Contains("the container's root page is", await refused.Content.ReadAsStringAsync()); // the agent's answer, not httpd's
        }
        Assert.Equal(HttpStatusCode.OK, (await op.PostAsync(Proxy(fx.Web) + "/cgi-bin/echo", new StringContent("x"))).StatusCode);
    }

    [Fact]
    public async Task A_body_announced_over_the_proxy_limit_is_a_413_before_the_container_sees_it()
    {
        var announced = await Images.RawUpload.PostHeadAsync(fx.Agent.BaseAddress, Proxy(fx.Web) + "/cgi-bin/echo", ContainerAccessFixture.OperatorToken,
            "application/octet-stream", ContainerAccessFixture.MaxProxyBodyBytes + 1);
        Assert.StartsWith("HTTP/1.1 413", announced);
        Assert.Contains("Agent:Proxy:MaxRequestBodyBytes", announced);
    }

    [Fact]
    public async Task Websocket_messages_go_both_ways_to_a_container_on_its_network_address()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var address = await DockerCli.InspectAsync(fx.Ws, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
        var upstream = await op.GetFromJsonAsync<JsonElement>(Proxy(fx.Ws) + "?port=8081");
        Assert.Equal($"http://{address}:8081/", upstream.GetProperty("url").GetString());
        Assert.Equal("network", upstream.GetProperty("via").GetString());

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {ContainerAccessFixture.OperatorToken}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new Uri($"ws://{fx.Agent.BaseAddress.Authority}{Proxy(fx.Ws)}/?port=8081"), timeout.Token);
        foreach (var message in new[] { "hello through the agent", "a second message" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(WebSocketMessageType.Text, received.MessageType);
            Assert.Equal(message, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task A_closed_port_is_502_and_a_slow_upstream_is_504_as_problems()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var closed = await op.GetAsync(Proxy(fx.Web) + "/?port=9999");
        Assert.Equal(HttpStatusCode.BadGateway, closed.StatusCode);
        Assert.Equal("application/problem+json", closed.Content.Headers.ContentType?.MediaType);
        Assert.Contains("port 9999", await closed.Content.ReadAsStringAsync());

        var slow = await op.GetAsync(Proxy(fx.Web) + "/cgi-bin/slow");
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.Contains("Agent:Proxy:Timeout", await slow.Content.ReadAsStringAsync());

        // probe-62: headers at once, then silence: a 502 "Is something listening on that port?". It is the same timeout.
        var stalled = await op.GetAsync(Proxy(fx.Web) + "/cgi-bin/stall");
        var detail = await stalled.Content.ReadAsStringAsync();
        Assert.True(stalled.StatusCode == HttpStatusCode.GatewayTimeout, $"{(int)stalled.StatusCode} {detail}");
        Assert.Equal("application/problem+json", stalled.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Agent:Proxy:Timeout", detail);
        Assert.DoesNotContain("listening", detail);
    }

    [Fact]
    public async Task Proxying_needs_the_operator_role_an_agent_container_and_a_known_port()
    {
        using var anonymous = fx.Client(null);
        using var viewer = fx.Client(ContainerAccessFixture.ViewerToken);
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Proxy(fx.Web) + "/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync(Proxy(fx.Web) + "/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(Proxy(fx.Web) + "/cgi-bin/echo", new StringContent("x"))).StatusCode);

        var noPort = await op.GetAsync(Proxy(fx.Ws) + "/");
        Assert.Equal(HttpStatusCode.BadRequest, noPort.StatusCode);
        Assert.Contains("?port=", await noPort.Content.ReadAsStringAsync());

        var foreign = fx.Instance.Name("foreign-proxy");
        await DockerCli.RunAsync("run", "-d", "--name", foreign, "-p", "127.0.0.1::8080", TestEngine.Image, "httpd", "-f", "-p", "8080");
        try
        {
            var response = await op.GetAsync(Proxy(foreign) + "/");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", foreign);
        }
    }
}
