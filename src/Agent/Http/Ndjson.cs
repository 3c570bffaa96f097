using System.Text.Json;
using System.Threading.Channels;
using Agent.Engine;
using Microsoft.AspNetCore.Http.Features;

namespace Agent.Http;

/// <summary>Progress streamed as application/x-ndjson: one JSON object per line, flushed as it comes. An operation that
/// fails before its first line (or while only lines it holds back came) answers problem+json instead; one that fails
/// later ends with an {"error": ...} line.</summary>
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

    /// <summary>Runs <paramref name="operation"/>, writing each progress report as a line and its result as the last.
    /// Reports for which <paramref name="held"/> is true are held back (in order) until the first one that is not, or
    /// the result: an operation that fails while only held lines came answers a problem (with its status code) instead
    /// of a 200 stream that ends in an error line.</summary>
    public static async Task StreamAsync<T, TResult>(HttpContext http, Func<IProgress<T>, CancellationToken, Task<TResult>> operation, CancellationToken ct,
        Func<T, bool>? held = null)
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
        var holding = held is null ? null : new List<T>();
        await foreach (var item in channel.Reader.ReadAllAsync(ct))
        {
            if (holding is not null)
            {
                holding.Add(item);
                if (held!(item)) continue;
                foreach (var line in holding) await WriteAsync(http.Response, line, ct);
                holding = null;
                continue;
            }
            await WriteAsync(http.Response, item, ct);
        }
        try
        {
            var result = await run;
            foreach (var line in holding ?? []) await WriteAsync(http.Response, line, ct);
            await WriteAsync(http.Response, result, ct);
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
