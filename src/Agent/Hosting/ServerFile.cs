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

    /// <summary>The address an agent of this state dir wrote, or null.</summary>
    public static string? Read(string stateDir)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(stateDir, Name)).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
