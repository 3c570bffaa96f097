using System.Runtime.CompilerServices;
using System.Text;
using Docker.DotNet;

namespace Agent.Engine;

/// <summary>Splits the engine's multiplexed stdout/stderr stream into lines, keeping each stream's own partial line.
/// A line longer than <see cref="MaxLineChars"/> is given in pieces of that length, so output without newlines (a
/// process writing megabytes in one line) never piles up in the agent's memory.</summary>
internal static class MultiplexedLines
{
    public const int MaxLineChars = 64 * 1024;

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
            while (true)
            {
                var newline = IndexOf(text, '\n');
                if (newline >= 0 && newline <= MaxLineChars)
                {
                    var line = text.ToString(0, newline).TrimEnd('\r');
                    text.Remove(0, newline + 1);
                    yield return new LogEntry(which, line);
                }
                else if (text.Length >= MaxLineChars)
                {
                    yield return new LogEntry(which, text.ToString(0, MaxLineChars));
                    text.Remove(0, MaxLineChars);
                }
                else break;
            }
        }
        foreach (var (which, text) in pending)
            if (text.Length > 0) yield return new LogEntry(which, text.ToString());
    }

    private static int IndexOf(StringBuilder text, char c)
    {
        // Past MaxLineChars the answer is the same (a piece is cut either way): no need to look further.
        for (var i = 0; i < Math.Min(text.Length, MaxLineChars + 1); i++)
            if (text[i] == c) return i;
        return -1;
    }
}
