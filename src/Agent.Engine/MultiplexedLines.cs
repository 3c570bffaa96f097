using System.Runtime.CompilerServices;
using System.Text;
using Docker.DotNet;

namespace Agent.Engine;

/// <summary>Splits the engine's multiplexed stdout/stderr stream into lines, keeping each stream's own partial line.</summary>
internal static class MultiplexedLines
{
    public static async IAsyncEnumerable<LogEntry> ReadAsync(MultiplexedStream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var pending = new Dictionary<LogStream, StringBuilder> { [LogStream.Stdout] = new(), [LogStream.Stderr] = new() };
        var decoders = new Dictionary<LogStream, Decoder>
        {
            [LogStream.Stdout] = Encoding.UTF8.GetDecoder(),
            [LogStream.Stderr] = Encoding.UTF8.GetDecoder(),
        };
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct);
            if (read.EOF) break;
            var which = read.Target == MultiplexedStream.TargetStream.StandardError ? LogStream.Stderr : LogStream.Stdout;
            var count = decoders[which].GetChars(buffer, 0, read.Count, chars, 0);
            var text = pending[which].Append(chars, 0, count);
            int newline;
            while ((newline = IndexOf(text, '\n')) >= 0)
            {
                var line = text.ToString(0, newline).TrimEnd('\r');
                text.Remove(0, newline + 1);
                yield return new LogEntry(which, line);
            }
        }
        foreach (var (which, text) in pending)
            if (text.Length > 0) yield return new LogEntry(which, text.ToString());
    }

    private static int IndexOf(StringBuilder text, char c)
    {
        for (var i = 0; i < text.Length; i++)
            if (text[i] == c) return i;
        return -1;
    }
}
