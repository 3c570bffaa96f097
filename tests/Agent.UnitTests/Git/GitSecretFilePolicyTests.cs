using Agent.Core.Manifests;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>A GitRepository's secret files may not name the agent's own secrets and state, kernel files or the system's
/// credential databases (probe-13b B11): a token file is sent to the repository's server. Errors at the field, naming
/// only the path as written.</summary>
public sealed class GitSecretFilePolicyTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-git-secret-policy-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-git-secret-state-");
    private readonly DirectoryInfo links = Directory.CreateTempSubdirectory("agent-git-secret-links-");
    private string Tokens => Path.Combine(state.FullName, "..", Path.GetFileName(state.FullName) + "-tokens");

    public void Dispose()
    {
        dir.Delete(recursive: true);
        state.Delete(recursive: true);
        links.Delete(recursive: true);
    }

    private SecurityOptions Options => new() { AgentSecretPaths = [Path.GetFullPath(Tokens)], AgentStatePaths = [state.FullName] };

    private ManifestSet Load(string secretYaml)
    {
        File.WriteAllText(Path.Combine(dir.FullName, "repos.yaml"), $"""
            apiVersion: agent/v1
            kind: GitRepository
            metadata: {"{"} name: platform {"}"}
            spec:
              url: https://git.example/ops/platform.git
            {secretYaml}
            """);
        return new ManifestFolder(dir.FullName).Load(new SecurityPolicy(Options));
    }

    [Theory]
    [InlineData("/etc/shadow", "credential databases")]
    [InlineData("/etc/sudoers.d/ops", "credential databases")]
    [InlineData("/proc/self/environ", "belongs to the kernel")]
    [InlineData("/dev/stdin", "belongs to the kernel")]
    [InlineData("/root/.docker/config.json", "folder named .docker")]
    [InlineData("/root/.ssh/id_ed25519", "folder named .ssh")]
    [InlineData("/var/lib/docker/volumes/x/_data/token", "container engine")]
    public void A_token_file_that_names_a_protected_host_file_is_an_error_at_the_field(string file, string why)
    {
        var error = Assert.Single(Load($"  secretRef: {{ tokenFile: {file} }}").Errors);
        Assert.Equal(("repos.yaml", 6, "spec.secretRef.tokenFile"), (error.File, error.Line, error.Path));
        Assert.Contains($"{file} is not allowed: it", error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void The_agents_own_tokens_file_and_state_dir_are_refused_also_through_a_symlink_without_naming_them()
    {
        File.WriteAllText(Tokens, "admin:s3cret\n");
        try
        {
            var link = Path.Combine(links.FullName, "innocent-token");
            File.CreateSymbolicLink(link, Path.Combine(state.FullName, "instance-id"));
            foreach (var (file, field) in new[] { (Path.GetFullPath(Tokens), "passwordFile"), ($"{state.FullName}/jwt.key", "passwordFile"), (link, "passwordFile") })
            {
                var error = Assert.Single(Load($"  secretRef: {{ usernameFile: /etc/agent/git/user, {field}: {file} }}").Errors);
                Assert.Equal("spec.secretRef.passwordFile", error.Path);
                Assert.Contains("holds the agent's own secrets or state", error.Message);
                if (file == link)
                {
                    Assert.Contains("resolves through a symbolic link", error.Message);
                    Assert.DoesNotContain(state.FullName, error.Message);
                }
            }
        }
        finally
        {
            File.Delete(Tokens);
        }
    }

    [Fact]
    public void Webhook_and_signers_files_follow_the_same_rule()
    {
        var errors = Load("""
              webhook: { secretFile: /etc/gshadow }
              verify: { allowedSignersFile: /etc/ssh/ssh_host_ed25519_key }
            """).Errors;
        Assert.Equal(["spec.verify.allowedSignersFile", "spec.webhook.secretFile"], errors.Select(e => e.Path).Order());
    }

    [Fact]
    public void Keys_known_hosts_signers_and_tokens_where_they_belong_load()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "repos.yaml"), """
            apiVersion: agent/v1
            kind: GitRepository
            metadata: { name: overssh }
            spec:
              url: ssh://git@git.example/ops/platform.git
              secretRef: { sshKeyFile: /root/.ssh/id_ed25519, knownHostsFile: /etc/ssh/ssh_known_hosts }
              verify: { allowedSignersFile: /root/.ssh/allowed_signers }
            ---
            apiVersion: agent/v1
            kind: GitRepository
            metadata: { name: overhttps }
            spec:
              url: https://git.example/ops/platform.git
              secretRef: { tokenFile: /etc/agent/git/token }
              webhook: { secretFile: /etc/agent/git/webhook }
            """);
        Assert.Empty(new ManifestFolder(dir.FullName).Load(new SecurityPolicy(Options)).Errors);
    }

    [Fact]
    public void A_secret_file_is_judged_again_when_it_is_read()
    {
        // Loaded while the link pointed elsewhere; by the time of the sync it leads into the state dir.
        var link = Path.Combine(links.FullName, "token");
        File.CreateSymbolicLink(link, Path.Combine(state.FullName, "tokens"));
        var git = new GitCli(Path.Combine(dir.FullName, ".home"), new GitProcesses(Path.Combine(dir.FullName, ".running")),
            (file, sent) => CredentialFileRules.Problem(file, Options, ManifestFolder.Resolve, sent));
        var e = Assert.Throws<GitSyncException>(() => git.Allowed(link, "secretRef.tokenFile", sentToServer: true));
        Assert.Equal("CredentialsUnreadable", e.Reason);
        Assert.StartsWith($"spec.secretRef.tokenFile {link} is not allowed: it resolves through a symbolic link", e.Message);
        Assert.DoesNotContain(state.FullName, e.Message);
    }
}
