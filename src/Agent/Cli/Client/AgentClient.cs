using System.Net.Http.Headers;
using System.Text.Json;
using Agent.Hosting;

namespace Agent.Cli.Client;

/// <summary>A failed call to a running agent: the server's problem detail, or why the agent could not be reached.</summary>
public sealed class AgentApiException(string message, int? status = null) : Exception(message)
{
    public int? Status { get; } = status;

    /// <summary>No answer at all (connection refused, no route): the agent may not be running yet.</summary>
    public bool Unreachable { get; init; }
}

/// <summary>Talks to a running agent's API for the kubectl-like commands. The server defaults to the agent's own
/// configured address (Urls); the token comes from AGENT_TOKEN or the tokens file in the state dir.</summary>
public sealed class AgentClient : IDisposable
{
    private readonly HttpClient http;
    private readonly Func<string?> token;

    /// <summary>The token is read again before each request until there is one: an agent started a moment ago may not have
    /// generated its tokens file yet.</summary>
    public AgentClient(Uri server, Func<string?> token)
    {
        Server = server;
        this.token = token;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                Interlocked.Exchange(ref connected, 1);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
    }

    // Whether any connection to the agent was made: a request refused before one was is a request it never took.
    private int connected;

    public Uri Server { get; }

    /// <param name="stateDir">The agent's state dir (`--state-dir`, as given to `agent run`): its tokens file, and the
    /// address the agent wrote there once it listened.</param>
    public static AgentClient Create(string? server, string? stateDir = null)
    {
        var configuration = CliSettings.Configuration();
        var options = CliSettings.Load();
        if (!string.IsNullOrWhiteSpace(stateDir)) options.StateDir = Path.GetFullPath(stateDir);
        var address = server ?? ServerFile.Read(options.StateDir) ?? configuration["Urls"];
        return new AgentClient(ResolveServer(address), () => ResolveToken(options));
    }

    /// <summary>The first of the agent's listen addresses, with a wildcard host replaced by loopback.</summary>
    public static Uri ResolveServer(string? urls)
    {
        var first = (urls ?? AgentHost.DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? AgentHost.DefaultUrls;
        if (!first.Contains("://", StringComparison.Ordinal)) first = "http://" + first;
        foreach (var wildcard in new[] { "://0.0.0.0", "://*", "://+", "://[::]" })
            first = first.Replace(wildcard, "://127.0.0.1", StringComparison.Ordinal);
        return Uri.TryCreate(first.TrimEnd('/') + "/", UriKind.Absolute, out var uri)
            ? uri
            : throw new AgentApiException($"--server \"{first}\" is not a URL like http://127.0.0.1:8098");
    }

    /// <summary>AGENT_TOKEN, else the strongest unscoped token in the agent's tokens file (a scoped one when all are) (Agent:Auth:TokensFile, else the one the
    /// running agent recorded in STATE_DIR/tokens-file, else STATE_DIR/tokens).</summary>
    public static string? ResolveToken(AgentOptions options)
    {
        if (Environment.GetEnvironmentVariable("AGENT_TOKEN") is { Length: > 0 } env) return CheckedToken(env);
        var file = !string.IsNullOrWhiteSpace(options.Auth.TokensFile) ? options.Auth.TokensFile
            : ServerFile.ReadTokensPointer(options.StateDir) ?? Path.Combine(options.StateDir, "tokens");
        try
        {
            // An unscoped token before a scoped one (it can do what the user asks wherever it is), then the strongest role.
            return File.ReadAllLines(file)
                .Select(Auth.TokenLine.Parse)
                .OfType<Auth.TokenLine>()
                .Where(t => t.Role.Length > 0 && t.Token.Length > 0)
                .OrderBy(t => t.Scopes.Count > 0)
                .ThenByDescending(t => Auth.Roles.Rank(t.Role))
                .Select(t => t.Token)
                .FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A token as one header value: a line break or NUL inside it (two lines of a grep) is the user's to fix.</summary>
    public static string CheckedToken(string value)
    {
        var token = value.Trim();
        return token.Any(c => char.IsControl(c) || c == ' ')
            ? throw new AgentApiException("AGENT_TOKEN holds more than one token (a line break, space or control character): set it to a single token, the part after \"role:\" of one line of the tokens file")
            : token;
    }

    public async Task<JsonElement> GetAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseContentRead, ct);
        return await ReadJsonAsync(response, ct);
    }

    /// <summary>Why a request got no answer. A request that changes something may have been taken before the agent went
    /// away (the client then sees a refused connection on its retry): it may be partly done (probe-23 F2). One refused
    /// before any connection was made never reached the agent, and says only that (probe-25).</summary>
    internal string Unreachable(HttpMethod method, HttpRequestException e) =>
        $"cannot reach the agent at {Server}: {e.Message}. Is `agent run` running? Pass --server URL or the agent's --state-dir, or set Urls in its settings." +
        (method == HttpMethod.Get || method == HttpMethod.Head || Volatile.Read(ref connected) == 0 ? ""
            : " If it stopped while answering, the request may be partly done: agent get and agent describe show what runs (a start or stop cut off is finished when the agent runs again).");

    public async Task<JsonElement> PostAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, path), HttpCompletionOption.ResponseContentRead, ct);
        return await ReadJsonAsync(response, ct);
    }

    /// <summary>A streamed answer (logs): the caller disposes the response.</summary>
    public Task<HttpResponseMessage> StreamAsync(string path, CancellationToken ct) => StreamAsync(HttpMethod.Get, path, null, ct);

    /// <summary>A streamed answer to any method (NDJSON progress, file contents): the caller disposes the response.</summary>
    public Task<HttpResponseMessage> StreamAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(method, path) { Content = content }, HttpCompletionOption.ResponseHeadersRead, ct);

    /// <summary>Any method with an optional body; the answer's JSON (default when it has none).</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(method, path) { Content = content }, HttpCompletionOption.ResponseContentRead, ct);
        return await ReadJsonAsync(response, ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        if (http.DefaultRequestHeaders.Authorization is null && token() is { Length: > 0 } t)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", t);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new AgentApiException(Unreachable(request.Method, e)) { Unreachable = true };
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var text = ProblemText(body, (int)response.StatusCode, response.ReasonPhrase);
            // probe-28 F7: the server's hint says where tokens come from; the user may have set AGENT_TOKEN, which wins.
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized && Environment.GetEnvironmentVariable("AGENT_TOKEN") is { Length: > 0 })
                text += ". The token sent came from AGENT_TOKEN, which wins over the tokens file: set it to a token of that file, or unset it to use the file";
            throw new AgentApiException(text, (int)response.StatusCode);
        }
    }

    /// <summary>"detail (HTTP 404 Not Found)" from a problem+json body, or the status alone.</summary>
    public static string ProblemText(string body, int status, string? reason)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                var detail = json.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
                var title = json.RootElement.TryGetProperty("title", out var t) ? t.GetString() : reason;
                if (!string.IsNullOrEmpty(detail)) return $"{detail} (HTTP {status} {title})";
            }
        }
        catch (JsonException)
        {
        }
        return $"HTTP {status} {reason}{(string.IsNullOrWhiteSpace(body) ? "" : ": " + body.Trim())}";
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (string.IsNullOrWhiteSpace(text)) return default;
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    public void Dispose() => http.Dispose();
}
