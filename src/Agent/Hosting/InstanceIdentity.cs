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
            var stored = File.ReadAllText(file).Trim();
            if (stored.Length > 0) return Validate(stored);
        }
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        File.WriteAllText(file, id + "\n");
        return id;
    }

    private static string Validate(string id) =>
        id.Length is > 0 and <= 63 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? id
            : throw new ArgumentException($"Instance id '{id}' must be 1-63 letters, digits, '-', '_' or '.'.");
}
