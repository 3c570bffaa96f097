using Agent.Engine;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>The real engine, through the same adapter the product uses. No engine is a loud failure, never a skip.</summary>
public static class TestEngine
{
    public const string Image = "busybox:1.35";
    private static readonly Lazy<DockerEngine> Shared = new(() => DockerEngine.FromEnvironment());

    public static async Task<IContainerEngine> GetAsync()
    {
        var engine = Shared.Value;
        try
        {
            await engine.PingAsync(CancellationToken.None);
        }
        catch (EngineException e)
        {
            throw new InvalidOperationException(
                "Integration tests need a Docker engine and none answers. Run `bash eng/test.sh` (it installs and starts " +
                $"dockerd and makes the test images) or set DOCKER_HOST. Cause: {e.Message}", e);
        }
        if (await engine.InspectImageAsync(Image, CancellationToken.None) is null)
            throw new InvalidOperationException($"The test image {Image} is missing: run `bash eng/ensure-engine.sh` to make it offline.");
        return engine;
    }
}
