using System.Threading.RateLimiting;
using Agent.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Http;

public sealed class ClientRateLimiterTests
{
    private readonly FakeTimeProvider time = new();

    private ClientRateLimiter Limiter() => new(3, TimeSpan.FromSeconds(10), time, http => http.Request.Path == "/livez" ? null : http.Request.Headers["client"].ToString());

    private static HttpContext Request(string client, string path = "/api/v1/containers")
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        http.Request.Headers["client"] = client;
        return http;
    }

    [Fact]
    public void A_client_gets_its_permits_per_window_then_a_retry_after_until_the_window_ends()
    {
        using var limiter = Limiter();
        for (var i = 0; i < 3; i++) Assert.True(limiter.AttemptAcquire(Request("a")).IsAcquired);
        time.Advance(TimeSpan.FromSeconds(4));
        using var refused = limiter.AttemptAcquire(Request("a"));
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retry));
        Assert.Equal(TimeSpan.FromSeconds(6), retry);
        Assert.True(limiter.AttemptAcquire(Request("b")).IsAcquired); // another client has its own window

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(limiter.AttemptAcquire(Request("a")).IsAcquired);
        Assert.Equal(2, limiter.GetStatistics(Request("a"))!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task Requests_without_a_client_are_never_limited_and_acquiring_does_not_wait()
    {
        using var limiter = Limiter();
        for (var i = 0; i < 10; i++) Assert.True(limiter.AttemptAcquire(Request("a", "/livez")).IsAcquired);
        for (var i = 0; i < 3; i++) Assert.True((await limiter.AcquireAsync(Request("a"))).IsAcquired);
        Assert.False((await limiter.AcquireAsync(Request("a"))).IsAcquired);
    }
}
