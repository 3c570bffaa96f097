namespace Agent.Hosting;

/// <summary>
/// `STATE_DIR/server`: the address the agent listens on, written once it listens (wildcards as loopback), so that client
/// commands given the same `--state-dir` find the agent the way they find its token, whatever `--urls` it was run with.
/// </summary>
public static class ServerFile
{
    public const string Name = "server";

    public static void Write(string stateDir, IEnumerable<string> addresses)
    {
        var first = addresses.FirstOrDefault();
        if (first is null) return;
        foreach (var wildcard in new[] { "://0.0.0.0", "://*", "://+", "://[::]" })
            first = first.Replace(wildcard, "://127.0.0.1", StringComparison.Ordinal);
        State.StateFile.Write(Path.Combine(stateDir, Name), first + "\n");
    }

    /// <summary>`STATE_DIR/tokens-file`: the path of Agent:Auth:TokensFile when the agent uses one (removed otherwise), so that
    /// client commands given the same `--state-dir` read the same tokens without the daemon's environment.</summary>
    public const string TokensPointerName = "tokens-file";

    public static void WriteTokensPointer(string stateDir, string? tokensFile)
    {
        var pointer = Path.Combine(stateDir, TokensPointerName);
        if (string.IsNullOrWhiteSpace(tokensFile)) File.Delete(pointer);
        else State.StateFile.Write(pointer, Path.GetFullPath(tokensFile) + "\n");
    }

    /// <summary>The tokens file an agent of this state dir uses, or null (it uses STATE_DIR/tokens).</summary>
    public static string? ReadTokensPointer(string stateDir) => ReadLine(Path.Combine(stateDir, TokensPointerName));

    /// <summary>The address an agent of this state dir wrote, or null.</summary>
    public static string? Read(string stateDir) => ReadLine(Path.Combine(stateDir, Name));

    private static string? ReadLine(string file)
    {
        try
        {
            var text = File.ReadAllText(file).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
