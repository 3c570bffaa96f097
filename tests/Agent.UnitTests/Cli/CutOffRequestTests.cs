using System.Net;
using System.Net.Sockets;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-23 F2: a start whose agent was killed while answering printed only "cannot reach the agent ...
/// Connection refused", as if it had never been taken. A request that changes something now says it may be partly done,
/// unless no connection to the agent was ever made (refused at once: it never reached one).</summary>
public sealed class CutOffRequestTests
{
    [Fact]
    public async Task A_post_cut_off_says_it_may_be_partly_done_and_a_get_to_no_agent_does_not()
    {
        // A server that takes the request and drops the connection without an answer, as a killed agent does.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var server = Task.Run(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                using var socket = await listener.AcceptSocketAsync();
                var buffer = new byte[4096];
                await socket.ReceiveAsync(buffer);
                socket.LingerState = new LingerOption(true, 0);
                socket.Close(); // a reset, no answer
            }
        });
        using (var client = new AgentClient(address, () => "token"))
        {
            var cut = await Assert.ThrowsAsync<AgentApiException>(() => client.PostAsync("api/v1/composeprojects/shop/start", CancellationToken.None));
            Assert.True(cut.Unreachable);
            Assert.Contains("the request may be partly done", cut.Message);
            Assert.Contains("a start or stop cut off is finished when the agent runs again", cut.Message);
        }
        listener.Stop();

        using var nobody = new AgentClient(address, () => "token");
        var refused = await Assert.ThrowsAsync<AgentApiException>(() => nobody.GetAsync("api/v1/objects", CancellationToken.None));
        Assert.Contains("Is `agent run` running?", refused.Message);
        Assert.DoesNotContain("partly done", refused.Message);
        // probe-25: a start refused before any connection was made never reached an agent: nothing of it can be done.
        var neverTaken = await Assert.ThrowsAsync<AgentApiException>(() => nobody.PostAsync("api/v1/composeprojects/shop/start", CancellationToken.None));
        Assert.Contains("Is `agent run` running?", neverTaken.Message);
        Assert.DoesNotContain("partly done", neverTaken.Message);
    }
}
