using System.Security.Cryptography;

namespace Agent.Hosting;

/// <summary>The instance id: configured, or generated once and kept in the state dir so it survives restarts.</summary>
public static class InstanceIdentity
{
    public static string Resolve(AgentOptions options)
    {
        var file = Path.Combine(options.StateDir, "instance-id");
        if (!string.IsNullOrWhiteSpace(options.Instance))
        {
            var configured = Validate(options.Instance.Trim());
            RememberIfFirst(file, configured);
            return configured;
        }
        if (State.StateFile.MayWrite) MakeStateDir(options.StateDir);
        if (File.Exists(file))
        {
            // Never replaced when unreadable: a new id would make this agent a stranger to every container it runs.
            var stored = File.ReadAllText(file).Trim();
            return IsValid(stored) ? stored : throw new InvalidOperationException(
                $"{file} holds no valid instance id ({(stored.Length == 0 ? "it is empty" : $"\"{Shorten(stored)}\"")}): restore it (it is the agent.instance label of this agent's containers, " +
                "docker ps -a --format '{{.Label \"agent.instance\"}}'), pass --instance, or delete the file to start as a new instance");
        }
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        State.StateFile.Write(file, id + "\n");
        return id;
    }

    /// <summary>A configured id is written to a state dir that has none yet, so client commands given only the state dir
    /// (`agent diff --state-dir`) compare with the same containers; a state dir that cannot be written is no error here.</summary>
    private static void RememberIfFirst(string file, string id)
    {
        try
        {
            if (File.Exists(file) || !State.StateFile.MayWrite) return;
            MakeStateDir(Path.GetDirectoryName(file)!);
            State.StateFile.Write(file, id + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>At start-up, before the lock: a new state dir is the agent's alone (0700), as <see cref="State.StateDirLock.Acquire"/> makes it.</summary>
    private static void MakeStateDir(string dir)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static bool IsValid(string id) => id.Length is > 0 and <= 63 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string Validate(string id) =>
        IsValid(id) ? id : throw new ArgumentException($"Instance id '{id}' must be 1-63 letters, digits, '-', '_' or '.'.");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
