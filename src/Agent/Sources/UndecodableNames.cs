using System.Runtime.InteropServices;
using System.Text;

namespace Agent.Sources;

/// <summary>
/// Names in a folder that are not valid UTF-8. .NET decodes such a name with U+FFFD, and the decoded name opens nothing:
/// the entry would be skipped unseen (what it defined pruned, probe-15j H2). Listed with readdir(3), which gives the bytes.
/// </summary>
internal static class UndecodableNames
{
    private const int NameOffset = 19; // struct dirent (glibc and musl, 64-bit): d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name

    [DllImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static extern nint OpenDir(byte[] path);

    [DllImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static extern nint ReadDir(nint dir);

    [DllImport("libc", EntryPoint = "closedir")]
    private static extern int CloseDir(nint dir);

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The entries of <paramref name="folder"/> whose name is not valid UTF-8, escaped (<c>c\xff.yaml</c>), sorted;
    /// empty when there are none or the folder cannot be listed (its own read reports that).</summary>
    public static IReadOnlyList<string> In(string folder)
    {
        var dir = OpenDir(Encoding.UTF8.GetBytes(folder + "\0"));
        if (dir == 0) return [];
        var found = new List<string>();
        try
        {
            while (ReadDir(dir) is var entry && entry != 0)
            {
                var name = NameBytes(entry + NameOffset);
                if (!Decodes(name)) found.Add(Escape(name));
            }
        }
        finally
        {
            CloseDir(dir);
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static byte[] NameBytes(nint at)
    {
        var length = 0;
        while (Marshal.ReadByte(at, length) != 0) length++;
        var bytes = new byte[length];
        Marshal.Copy(at, bytes, 0, length);
        return bytes;
    }

    private static bool Decodes(byte[] name)
    {
        try
        {
            Strict.GetCharCount(name);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The name with each byte that is not part of valid UTF-8 written as \xNN (as ls -b and Python show it).</summary>
    public static string Escape(ReadOnlySpan<byte> name)
    {
        var text = new StringBuilder();
        while (name.Length > 0)
        {
            if (System.Text.Rune.DecodeFromUtf8(name, out var rune, out var used) == System.Buffers.OperationStatus.Done)
                text.Append(rune.ToString());
            else
            {
                used = 1;
                text.Append($"\\x{name[0]:x2}");
            }
            name = name[used..];
        }
        return text.ToString();
    }
}
