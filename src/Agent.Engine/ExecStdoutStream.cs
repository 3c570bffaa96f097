using Docker.DotNet;

namespace Agent.Engine;

/// <summary>The stdout of a running exec as a read-only stream (stderr is dropped); disposing it ends the exec's
/// connection, so the command sees a broken pipe when it writes again.</summary>
internal sealed class ExecStdoutStream(MultiplexedStream exec) : Stream
{
    private bool ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (ended || buffer.Length == 0) return 0;
        var chunk = new byte[Math.Min(buffer.Length, 64 * 1024)];
        while (true)
        {
            var read = await exec.ReadOutputAsync(chunk, 0, chunk.Length, ct);
            if (read.EOF)
            {
                ended = true;
                return 0;
            }
            if (read.Target == MultiplexedStream.TargetStream.StandardError || read.Count == 0) continue;
            chunk.AsSpan(0, read.Count).CopyTo(buffer.Span);
            return read.Count;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing) exec.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
