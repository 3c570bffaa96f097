namespace Agent.Engine;

/// <summary>A failed engine call, in the agent's terms. Nothing above the adapter sees Docker.DotNet's exceptions.</summary>
public class EngineException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;
}

/// <summary>The engine cannot be reached at all: not running, wrong DOCKER_HOST, no permission on the socket.</summary>
public sealed class EngineUnavailableException(string endpoint, Exception? inner = null) : EngineException(
    $"The Docker engine at {endpoint} is not reachable ({Why(endpoint, inner)}). " +
    "Start dockerd (eng/ensure-engine.sh installs and starts one) or point DOCKER_HOST at a running engine.",
    null, inner)
{
    public string Endpoint { get; } = endpoint;

    // A missing unix socket surfaces from the socket layer as "Cannot assign requested address": say what it is.
    private static string Why(string endpoint, Exception? inner)
    {
        if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme == "unix" && !File.Exists(uri.LocalPath))
            return $"the socket {uri.LocalPath} does not exist";
        return inner?.GetBaseException() switch
        {
            null => "no answer",
            System.Net.Sockets.SocketException or IOException or HttpRequestException or UnauthorizedAccessException or TimeoutException => inner.GetBaseException().Message,
            // An answer cut off as the engine died surfaces as the client library's own parse error ("Sequence contains no
            // elements", probe-22): not a cause the user can act on.
            _ => "the connection broke off before an answer",
        };
    }
}

public sealed class EngineNotFoundException(string message, Exception? inner = null) : EngineException(message, 404, inner);

public sealed class EngineConflictException(string message, Exception? inner = null) : EngineException(message, 409, inner);
