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
        if (!State.StateFile.MayWrite) return;
        if (string.IsNullOrWhiteSpace(tokensFile)) File.Delete(pointer);
        else State.StateFile.Write(pointer, Path.GetFullPath(tokensFile) + "\n");
    }

    /// <summary>`STATE_DIR/running`: the instance id and host labels the agent runs with (`instance=ID`, `label.KEY=VALUE`
    /// lines), so that `agent diff --state-dir` compares with that agent's containers and places objects on its host even when
    /// `--instance` overrides the state dir's generated `instance-id`.</summary>
    public const string RunningName = "running";

    public static void WriteRunning(string stateDir, string instance, IReadOnlyDictionary<string, string> hostLabels) =>
        State.StateFile.Write(Path.Combine(stateDir, RunningName),
            string.Concat(hostLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"label.{l.Key}={l.Value}\n").Prepend($"instance={instance}\n")));

    /// <summary>What <see cref="WriteRunning"/> recorded, as settings (Agent:Instance, Agent:HostLabels:KEY); empty without a record.</summary>
    public static Dictionary<string, string?> ReadRunning(string stateDir)
    {
        var settings = new Dictionary<string, string?>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(stateDir, RunningName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return settings;
        }
        foreach (var line in lines)
        {
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var (key, value) = (line[..eq], line[(eq + 1)..]);
            if (key == "instance" && value.Length > 0) settings["Agent:Instance"] = value;
            else if (key.StartsWith("label.", StringComparison.Ordinal) && key.Length > 6) settings[$"Agent:HostLabels:{key[6..]}"] = value;
        }
        return settings;
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
