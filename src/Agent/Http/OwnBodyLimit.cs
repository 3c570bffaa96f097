namespace Agent.Http;

/// <summary>Endpoint metadata: the route takes bodies larger than Agent:Auth:MaxRequestBodyBytes under a limit of its own
/// (image loads, build contexts, container files, the proxy), so <see cref="ErrorAnswers.UseBodyLimit"/> leaves them to it.</summary>
public sealed class OwnBodyLimit
{
    public static readonly OwnBodyLimit Instance = new();

    private OwnBodyLimit()
    {
    }
}
