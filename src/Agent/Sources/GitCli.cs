using System.Diagnostics;
using System.Text;
using Agent.Core.Git;
using Agent.Core.Model;

namespace Agent.Sources;

/// <summary>What a git command printed and how it ended.</summary>
public sealed record GitResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A git failure for people: <see cref="Reason"/> is a CamelCase condition reason, the message holds no credential.</summary>
public sealed class GitSyncException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// Runs Debian's git CLI (every transport, SSH included). Credentials come only from files and reach git only through its
/// environment (GIT_SSH_COMMAND with the key file's path; http.extraHeader through GIT_CONFIG_*), never through its command
/// line (visible to every user in `ps`); no user or system git config, no prompts, only the transports a GitRepository may name.
/// </summary>
public sealed class GitCli(string home, GitProcesses processes, Func<string, bool, string?>? filePolicy = null)
{
    private const int MaxCapture = 64 * 1024;

    /// <summary>Runs git; a run longer than <paramref name="timeout"/> is killed (with its children: ssh) and fails.
    /// <paramref name="stdout"/>, when given, consumes the output stream instead of capturing it.</summary>
    public async Task<GitResult> RunAsync(IReadOnlyList<string> args, GitSecretRef? secret, TimeSpan timeout, CancellationToken ct,
        Func<Stream, CancellationToken, Task>? stdout = null)
    {
        if (args.Any(GitUrls.CarriesCredentials))
            throw new GitSyncException("FetchFailed", "refused to run git with a URL holding credentials: they would be visible in `ps`; use spec.secretRef");
        State.StateLinks.EnsureReal(null, Path.GetDirectoryName(home)!, home); // git writes its config there: never through a link
        State.StateFile.CreateDirectory(home);
        // A session of its own (setsid): a timeout or the next start after a crash kills git with everything it started.
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-w", "--", "git", .. args]) info.ArgumentList.Add(arg);
        var copies = new List<string>();
        try
        {
            var secrets = Configure(info.Environment, secret, copies);
            using var process = processes.Start(info);
            try
            {
                return await RunAsync(process, args, timeout, secrets, stdout, ct);
            }
            finally
            {
                processes.Ended(process.Id);
            }
        }
        finally
        {
            foreach (var copy in copies) File.Delete(copy);
        }
    }

    private async Task<GitResult> RunAsync(Process process, IReadOnlyList<string> args, TimeSpan timeout, List<string> secrets,
        Func<Stream, CancellationToken, Task>? stdout, CancellationToken ct)
    {
        process.StandardInput.Close();
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout <= Core.SaturatingTime.LongestTimer) timer.CancelAfter(timeout); // longer: no bound (CancelAfter's range)
        var error = ReadCappedAsync(process.StandardError.BaseStream, timer.Token);
        var output = stdout is null ? ReadCappedAsync(process.StandardOutput.BaseStream, timer.Token)
            : KillOnFailure(Consume(stdout, process.StandardOutput.BaseStream, timer.Token), process);
        try
        {
            await Task.WhenAll(output, error);
            await process.WaitForExitAsync(timer.Token);
        }
        catch (Exception e) when (e is OperationCanceledException || (timer.IsCancellationRequested && e is IOException))
        {
            Kill(process);
            if (ct.IsCancellationRequested) throw;
            throw new GitSyncException("Timeout", $"git {Subcommand(args)} took longer than {Core.Manifests.Durations.Format(timeout)} (spec.timeout) and was stopped");
        }
        catch
        {
            Kill(process);
            throw;
        }
        return new GitResult(process.ExitCode, Scrub(await output, secrets), Core.TerminalText.Escape(Scrub(await error, secrets), keepLineFeeds: true));
    }

    /// <summary>git's subcommand (fetch, archive...): the first argument that is neither an option nor the value of -C or
    /// -c (-C's value is a folder in the state dir, a host path that messages do not show: probe-13b B15).</summary>
    public static string? Subcommand(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "-C" or "-c") i++;
            else if (!args[i].StartsWith('-')) return args[i];
        }
        return null;
    }

    private static async Task<string> Consume(Func<Stream, CancellationToken, Task> consumer, Stream stream, CancellationToken ct)
    {
        await consumer(stream, ct);
        return "";
    }

    /// <summary>A consumer that gives up (a size limit) kills git at once: left alone it would block on a full pipe, holding
    /// its stderr open, until the timeout.</summary>
    private static async Task<string> KillOnFailure(Task<string> consumer, Process process)
    {
        try
        {
            return await consumer;
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) GitProcesses.KillSession(process.Id);
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static async Task<string> ReadCappedAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
            if (buffer.Length < MaxCapture) buffer.Write(chunk, 0, (int)Math.Min(read, MaxCapture - buffer.Length));
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Sets git's environment; returns the secret values read, to be scrubbed from anything git prints.</summary>
    private List<string> Configure(IDictionary<string, string?> env, GitSecretRef? secret, List<string> copies)
    {
        foreach (var key in env.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal) || k.StartsWith("SSH_", StringComparison.Ordinal)).ToList())
            env.Remove(key);
        env["HOME"] = home;
        env["XDG_CONFIG_HOME"] = home;
        env["GIT_CONFIG_NOSYSTEM"] = "1";
        env["GIT_TERMINAL_PROMPT"] = "0";
        env["GIT_ASKPASS"] = "/bin/false";
        env["SSH_ASKPASS"] = "/bin/false";
        env["GIT_ALLOW_PROTOCOL"] = "file:git:ssh:http:https";
        env["LC_ALL"] = "C";

        // A missing key or known_hosts file is said as such, before any ssh attempt (ssh would try and print its own guess).
        if (secret?.SshKeyFile is { } keyPath) Readable(Allowed(keyPath, "secretRef.sshKeyFile"), "secretRef.sshKeyFile", mayBeEmpty: false);
        if (secret?.KnownHostsFile is { } known) Readable(Allowed(known, "secretRef.knownHostsFile"), "secretRef.knownHostsFile", mayBeEmpty: true);
        var ssh = new StringBuilder("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=15");
        ssh.Append(" -o UserKnownHostsFile=").Append(Quote(secret?.KnownHostsFile ?? Path.Combine(home, "known_hosts")));
        if (secret?.SshKeyFile is { } keyFile) ssh.Append(" -o IdentitiesOnly=yes -o IdentityAgent=none -i ").Append(Quote(PrivateKey(keyFile, copies)));
        env["GIT_SSH_COMMAND"] = ssh.ToString();
        env["GIT_SSH_VARIANT"] = "ssh";

        var config = new List<(string Key, string Value)> { ("credential.helper", ""), ("core.hooksPath", "/dev/null"), ("protocol.ext.allow", "never") };
        var secrets = new List<string>();
        string? header = null;
        if (secret?.TokenFile is { } tokenFile)
        {
            var token = ReadSecret(Allowed(tokenFile, "secretRef.tokenFile", sentToServer: true), "secretRef.tokenFile");
            secrets.Add(token);
            header = Basic("x-access-token", token);
        }
        else if (secret is { UsernameFile: { } userFile, PasswordFile: { } passwordFile })
        {
            var password = ReadSecret(Allowed(passwordFile, "secretRef.passwordFile", sentToServer: true), "secretRef.passwordFile");
            secrets.Add(password);
            header = Basic(ReadSecret(Allowed(userFile, "secretRef.usernameFile", sentToServer: true), "secretRef.usernameFile"), password);
        }
        if (header is not null)
        {
            config.Add(("http.extraHeader", "Authorization: Basic " + header));
            secrets.Add(header);
        }
        env["GIT_CONFIG_COUNT"] = config.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < config.Count; i++)
        {
            env[$"GIT_CONFIG_KEY_{i}"] = config[i].Key;
            env[$"GIT_CONFIG_VALUE_{i}"] = config[i].Value;
        }
        return secrets;
    }

    /// <summary>The file, when the agent may read it for a repository; checked again at each read (the manifest was checked
    /// when it loaded, but a symlink on the way may have changed since).</summary>
    public string Allowed(string file, string field, bool sentToServer = false, string reason = "CredentialsUnreadable") =>
        filePolicy?.Invoke(file, sentToServer) is { } problem ? throw new GitSyncException(reason, $"spec.{field} {file} is not allowed: {problem}") : file;

    private static string Basic(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>One value (a token, user name or password) from a file. A file of more than one line or over 4 KiB is
    /// refused: what is read goes to the remote as HTTP auth, so a manifest naming /etc/shadow or the agent's own tokens
    /// file must not send them anywhere (probe-13b B11).</summary>
    public static string ReadSecret(string file, string field) =>
        Unreadable(file, field, () => Secret(Agent.Engine.SecretFileReader.Read(file, MaxSecretBytes), file, field));

    /// <summary><see cref="ReadSecret"/> for a request thread: awaits the read instead of blocking on it.</summary>
    public static async Task<string> ReadSecretAsync(string file, string field, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await Agent.Engine.SecretFileReader.ReadAsync(file, MaxSecretBytes, null, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(file, field, e);
        }
        return Secret(bytes, file, field);
    }

    private const int MaxSecretBytes = 4096;

    private static string Secret(byte[] buffer, string file, string field)
    {
        var read = buffer.Length;
        if (read > MaxSecretBytes)
            throw new GitSyncException("CredentialsUnreadable", $"spec.{field} {file} is larger than {MaxSecretBytes} bytes: not a token, user name or password; it is not sent");
        var text = Encoding.UTF8.GetString(buffer, 0, read).Trim();
        if (text.Length == 0) throw new GitSyncException("CredentialsUnreadable", $"spec.{field} {file} is empty");
        if (text.Contains('\n') || text.Contains('\r'))
            throw new GitSyncException("CredentialsUnreadable", $"spec.{field} {file} holds more than one line: not a token, user name or password; it is not sent");
        return text;
    }

    /// <summary>A file ssh is handed by its path: opened here once, so a missing or unreadable one is named.</summary>
    private static void Readable(string file, string field, bool mayBeEmpty) =>
        Unreadable(file, field, () =>
        {
            var size = Agent.Engine.SecretFileReader.Check(file);
            if (!mayBeEmpty && size == 0) throw new GitSyncException("CredentialsUnreadable", $"spec.{field} {file} is empty");
            return "";
        });

    private static string Unreadable(string file, string field, Func<string> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(file, field, e);
        }
    }

    private static GitSyncException Unreadable(string file, string field, Exception e)
    {
        var why = e switch
        {
            FileNotFoundException or DirectoryNotFoundException => "does not exist",
            UnauthorizedAccessException => "cannot be read by the agent (permission denied)",
            Agent.Engine.SecretFileException s => s.Message,
            _ => "cannot be read",
        };
        return new GitSyncException("CredentialsUnreadable", $"spec.{field} {file} {why}");
    }

    /// <summary>The key file ssh is given: the file itself when only its owner may read it, else a private copy (0600, in
    /// git's HOME in the state dir, removed when git ends). ssh refuses a key readable by group or others ("bad
    /// permissions"), and a mounted Kubernetes Secret is 0644 unless told otherwise (probe-13c C11).</summary>
    private string PrivateKey(string keyFile, List<string> copies)
    {
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                    | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if (OperatingSystem.IsWindows() || (File.GetUnixFileMode(keyFile) & Others) == 0) return keyFile;
        var folder = Path.Combine(home, ".keys");
        State.StateFile.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Copies an agent killed mid-fetch left (another process id) go now.
        foreach (var stale in Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith($"{Environment.ProcessId}-", StringComparison.Ordinal)))
            File.Delete(stale);
        var copy = Path.Combine(folder, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        copies.Add(copy);
        var privately = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        Unreadable(keyFile, "secretRef.sshKeyFile", () =>
        {
            using var source = File.OpenRead(keyFile);
            using var target = new FileStream(copy, privately);
            source.CopyTo(target);
            return "";
        });
        return copy;
    }

    /// <summary>A path for GIT_SSH_COMMAND, which git runs through the shell.</summary>
    private static string Quote(string path) => "'" + path.Replace("'", "'\\''") + "'";

    private static string Scrub(string text, List<string> secrets)
    {
        foreach (var s in secrets.Where(s => s.Length >= 4)) text = text.Replace(s, "***");
        return GitUrls.Scrub(text);
    }
}
