using Microsoft.AspNetCore.Http.Features;

namespace Agent.Http;

/// <summary>An uploaded body (a tar) kept in a temporary file that is deleted when disposed, so the engine call starts
/// only once the whole upload arrived within its limit, and a background task can read it after the request ended.</summary>
public sealed class Upload : IAsyncDisposable
{
    public Stream? Stream { get; init; }
    public IResult? Problem { get; init; }

    public ValueTask DisposeAsync() => Stream?.DisposeAsync() ?? ValueTask.CompletedTask;
}

public static class Uploads
{
    public static async Task<Upload> BufferAsync(HttpContext http, long limit, string setting, CancellationToken ct)
    {
        if (http.Request.ContentLength > limit) return TooLarge(limit, setting);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        var file = TemporaryFile();
        try
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    await file.DisposeAsync();
                    return TooLarge(limit, setting);
                }
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
            if (total == 0)
            {
                await file.DisposeAsync();
                return new Upload { Problem = ApiProblems.BadRequest("the body is empty: send a tar") };
            }
            file.Position = 0;
            return new Upload { Stream = file };
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            await file.DisposeAsync();
            return TooLarge(limit, setting);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>A temporary file deleted when closed.</summary>
    public static FileStream TemporaryFile() =>
        new(Path.Combine(Path.GetTempPath(), $"agent-upload-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);

    public static Upload TooLarge(long limit, string setting) => new()
    {
        Problem = Results.Problem(statusCode: 413, title: "Content Too Large",
            detail: $"The upload is larger than {setting} ({limit} bytes); send a smaller tar or raise the setting."),
    };
}
