using System.Security.Cryptography;

namespace Agent.Hosting;

/// <summary>The instance id: configured, or generated once and kept in the state dir so it survives restarts.</summary>
public static class InstanceIdentity
{
    public static string Resolve(AgentOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Instance)) return Validate(options.Instance.Trim());
        Directory.CreateDirectory(options.StateDir);
        var file = Path.Combine(options.StateDir, "instance-id");
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

    private static bool IsValid(string id) => id.Length is > 0 and <= 63 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string Validate(string id) =>
        IsValid(id) ? id : throw new ArgumentException($"Instance id '{id}' must be 1-63 letters, digits, '-', '_' or '.'.");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
