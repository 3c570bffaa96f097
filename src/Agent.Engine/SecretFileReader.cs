using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Agent.Engine;

/// <summary>Why a secret file was not read, said as the end of a sentence that names the file ("is a FIFO, not a regular
/// file").</summary>
public sealed class SecretFileException(string why) : IOException(why);

/// <summary>Reads a small secret or credential file (a token, password, key, signer list, the agent's own tokens) without
/// ever hanging its caller: it is opened with O_NONBLOCK and refused unless it is a regular file (open(2) of a FIFO with no
/// writer blocks forever, probe-13d D5), read at most <c>maxBytes + 1</c> bytes, on its own thread with a deadline (a hung
/// NFS/FUSE mount blocks even a non-blocking open), and only one read of a path is outstanding at a time (a caller that
/// finds one still hung is refused at once, so repeated webhook calls cannot pile threads up behind it).</summary>
public static class SecretFileReader
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly ConcurrentDictionary<string, Task> Pending = new(StringComparer.Ordinal);

    /// <summary>The file's bytes (at most <paramref name="maxBytes"/> + 1, so the caller can tell "too large").</summary>
    public static byte[] Read(string path, int maxBytes, TimeSpan? deadline = null) =>
        ReadAsync(path, maxBytes, deadline, CancellationToken.None).GetAwaiter().GetResult();

    public static Task<byte[]> ReadAsync(string path, int maxBytes, TimeSpan? deadline, CancellationToken ct) =>
        RunAsync(path, stream =>
        {
            var buffer = new byte[maxBytes + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return buffer[..read];
        }, deadline, ct);

    /// <summary>Opens the file as <see cref="Read"/> does and reads nothing: for a file another program (ssh, git) reads
    /// by its path. Returns its size.</summary>
    public static long Check(string path, TimeSpan? deadline = null) =>
        RunAsync(path, stream => stream.Length, deadline, CancellationToken.None).GetAwaiter().GetResult();

    private static async Task<T> RunAsync<T>(string path, Func<FileStream, T> use, TimeSpan? deadline, CancellationToken ct)
    {
        var limit = deadline ?? Deadline;
        Task<T>? work = null;
        work = new Task<T>(() =>
        {
            try
            {
                using var stream = RegularFile.OpenRead(path);
                return use(stream);
            }
            finally
            {
                // Before the caller sees the result: a continuation ran later on a busy thread pool, and the caller's next
                // read of the same file was refused as "an earlier read has not returned".
                Pending.TryRemove(new KeyValuePair<string, Task>(path, work!));
            }
        }, TaskCreationOptions.LongRunning);
        if (!Pending.TryAdd(path, work))
            throw new SecretFileException($"cannot be read: an earlier read of it has not returned (a hung mount?)");
        work.Start(TaskScheduler.Default);
        try
        {
            return await work.WaitAsync(limit, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new SecretFileException($"cannot be read: it did not answer within {limit.TotalSeconds:0.#} s (a hung mount?)");
        }
    }
}
