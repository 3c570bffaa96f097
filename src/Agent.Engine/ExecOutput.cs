using System.Text;
using Docker.DotNet;

namespace Agent.Engine;

/// <summary>
/// The stdout and stderr of an exec, each kept up to <c>maxBytes</c>: what comes after is read and counted but dropped,
/// so the command runs to its end as it would under `docker exec` while the agent's memory stays bounded.
/// </summary>
internal sealed class ExecOutput(long maxBytes)
{
    private readonly Captured stdout = new(maxBytes);
    private readonly Captured stderr = new(maxBytes);

    public async Task ReadToEndAsync(MultiplexedStream stream, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct);
            if (read.EOF) return;
            (read.Target == MultiplexedStream.TargetStream.StandardError ? stderr : stdout).Add(buffer.AsSpan(0, read.Count));
        }
    }

    public ExecResult ToResult(long exitCode, bool timedOut, string? timeoutNote = null)
    {
        var errors = stderr.Text;
        if (timeoutNote is not null) errors += (errors.Length == 0 || errors.EndsWith('\n') ? "" : "\n") + timeoutNote;
        return new(exitCode, stdout.Text, errors, timedOut)
        {
            StdoutBytes = stdout.Total,
            StderrBytes = stderr.Total,
            StdoutTruncated = stdout.Truncated,
            StderrTruncated = stderr.Truncated,
        };
    }

    private sealed class Captured(long maxBytes)
    {
        private readonly MemoryStream kept = new();

        public long Total { get; private set; }

        public bool Truncated => Total > kept.Length;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            Total += bytes.Length;
            var room = (int)Math.Clamp(maxBytes - kept.Length, 0, bytes.Length);
            if (room > 0) kept.Write(bytes[..room]);
        }

        // A multi-byte character cut at the limit decodes to one U+FFFD at the end.
        public string Text => Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }
}
