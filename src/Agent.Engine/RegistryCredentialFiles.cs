namespace Agent.Engine;

/// <summary>One configured registry: its server and the files that hold the user name and password (or token).</summary>
public sealed record RegistryFiles(string Server, string UsernameFile, string PasswordFile);

/// <summary>
/// Registry credentials read from files at each use (a rotated secret applies to the next pull without a restart).
/// A trailing line break is dropped, as `docker login --password-stdin` does. An unreadable file is an error naming the
/// file, never its content.
/// </summary>
public sealed class RegistryCredentialFiles : IRegistryCredentials
{
    private readonly Dictionary<string, RegistryFiles> byHost;

    public RegistryCredentialFiles(IEnumerable<RegistryFiles> registries)
    {
        byHost = new Dictionary<string, RegistryFiles>(StringComparer.Ordinal);
        foreach (var r in registries)
        {
            if (string.IsNullOrWhiteSpace(r.Server)) throw new ArgumentException("Agent:Registries: an entry has no server");
            if (string.IsNullOrWhiteSpace(r.UsernameFile) || string.IsNullOrWhiteSpace(r.PasswordFile))
                throw new ArgumentException($"Agent:Registries: {r.Server} needs usernameFile and passwordFile");
            var host = ImageReference.NormalizeServer(r.Server);
            if (!byHost.TryAdd(host, r)) throw new ArgumentException($"Agent:Registries: {r.Server} is configured twice");
        }
    }

    /// <summary>The configured registry hosts, in the form references name them.</summary>
    public IReadOnlyList<string> Servers => byHost.Keys.Order(StringComparer.Ordinal).ToList();

    public RegistryCredential? For(string registry)
    {
        if (!byHost.TryGetValue(ImageReference.NormalizeServer(registry), out var files)) return null;
        return new RegistryCredential(ImageReference.NormalizeServer(files.Server), Read(files.UsernameFile, files.Server, "usernameFile"),
            Read(files.PasswordFile, files.Server, "passwordFile"));
    }

    private const int MaxBytes = 64 * 1024;

    private static string Read(string path, string server, string field)
    {
        try
        {
            var bytes = SecretFileReader.Read(path, MaxBytes);
            if (bytes.Length > MaxBytes) throw new RegistryCredentialsUnreadableException($"Agent:Registries: {field} {path} of {server} is larger than {MaxBytes} bytes");
            var text = System.Text.Encoding.UTF8.GetString(bytes).TrimEnd('\r', '\n');
            if (text.Length == 0) throw new RegistryCredentialsUnreadableException($"Agent:Registries: {field} {path} of {server} is empty");
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryCredentialsUnreadableException($"Agent:Registries: cannot read {field} {path} of {server}: {e.Message}");
        }
    }
}
