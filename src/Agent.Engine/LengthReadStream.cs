namespace Agent.Engine;

/// <summary>Exactly <paramref name="length"/> bytes of <paramref name="inner"/>, and never a read past them. A tar entry's
/// data stream passes a read of zero bytes to the engine's chunked answer once the entry is done, which then reads past
/// the end of the answer and throws (probe-15c G6: a `fail` with EndOfStreamException after every file over 64 KiB).</summary>
internal sealed class LengthReadStream(Stream inner, long length) : Stream
{
    private readonly long size = length;
    private long left = length;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (left <= 0 || buffer.Length == 0) return 0;
        var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, left)], ct);
        left -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (left <= 0 || count == 0) return 0;
        var n = inner.Read(buffer, offset, (int)Math.Min(count, left));
        left -= n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => size;
    public override long Position { get => size - left; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
