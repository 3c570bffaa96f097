namespace Agent.Engine;

/// <summary>Where the engine is: DOCKER_HOST (unix:// or tcp://) or the default socket.</summary>
public static class EngineEndpoint
{
    public const string DefaultSocket = "unix:///var/run/docker.sock";

    public static Uri Resolve(string? configured = null)
    {
        var value = string.IsNullOrWhiteSpace(configured) ? Environment.GetEnvironmentVariable("DOCKER_HOST") : configured;
        if (string.IsNullOrWhiteSpace(value)) value = DefaultSocket;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http" or "https" or "npipe"))
            throw new EngineException($"DOCKER_HOST '{value}' is not an engine address: use unix:///path/to/docker.sock or tcp://host:port.");
        return uri;
    }
}
