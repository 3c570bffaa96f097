using System.Text.Json;
using System.Threading.Channels;
using Agent.Engine;
using Microsoft.AspNetCore.Http.Features;

namespace Agent.Http;

/// <summary>Progress streamed as application/x-ndjson: one JSON object per line, flushed as it comes. An operation that
/// fails before its first line answers problem+json instead; one that fails later ends with an {"error": ...} line.</summary>
public static class Ndjson
{
    public const string ContentType = "application/x-ndjson";
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static async Task WriteAsync<T>(HttpResponse response, T line, CancellationToken ct)
    {
        if (!response.HasStarted)
        {
            response.ContentType = ContentType;
            response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        }
        await JsonSerializer.SerializeAsync(response.Body, line, ApiJson.Info<T>(), ct);
        await response.Body.WriteAsync(NewLine, ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>Runs <paramref name="operation"/>, writing each progress report as a line and its result as the last.</summary>
    public static async Task StreamAsync<T, TResult>(HttpContext http, Func<IProgress<T>, CancellationToken, Task<TResult>> operation, CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
        var run = Task.Run(async () =>
        {
            try
            {
                return await operation(new ChannelProgress<T>(channel.Writer), ct);
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, CancellationToken.None);
        await foreach (var item in channel.Reader.ReadAllAsync(ct)) await WriteAsync(http.Response, item, ct);
        try
        {
            await WriteAsync(http.Response, await run, ct);
        }
        catch (EngineException e) when (!http.Response.HasStarted)
        {
            await ApiProblems.From(e).ExecuteAsync(http);
        }
        catch (EngineException e)
        {
            await WriteAsync(http.Response, new ErrorLine(e.Message), ct);
        }
    }

    private sealed class ChannelProgress<T>(ChannelWriter<T> writer) : IProgress<T>
    {
        public void Report(T value) => writer.TryWrite(value);
    }
}
