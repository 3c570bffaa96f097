using Agent.Core.Security;
using Agent.Hosting;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>A hard link to the agent's tokens file or JWT key placed in the manifests folder (as a manifest or as an env
/// file) is the same file under another name: before, it was read like any file, so its content reached a container's
/// environment or (before 9cf7af9, whole) an error. Now it is refused by device and inode, and the error quotes nothing.</summary>
public sealed class SecretFileLinkTests() : ManifestFolderTestBase("secret-link")
{
    private const string Token = "admin:0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string JwtKey = "Sup3rS3cretJwtSigningKeyOfTheAgent0000000";

    private static async Task HardLinkAsync(string target, string link)
    {
        using var ln = System.Diagnostics.Process.Start("ln", [target, link])!;
        await ln.WaitForExitAsync();
        Assert.Equal(0, ln.ExitCode);
    }

    [Fact]
    public async Task A_hard_link_to_the_tokens_file_or_the_jwt_key_in_the_manifests_folder_is_not_read_and_not_quoted()
    {
        var options = new AgentOptions { StateDir = StateDir, Auth = { JwtKeyFile = Path.Combine(StateDir, "jwt.key") } };
        File.WriteAllText(Path.Combine(StateDir, "tokens"), Token + "\n");
        File.WriteAllText(options.Auth.JwtKeyFile, JwtKey + "\n");
        await HardLinkAsync(Path.Combine(StateDir, "tokens"), Path.Combine(Root, "tokens.yaml"));
        await HardLinkAsync(options.Auth.JwtKeyFile, Path.Combine(Root, "app.env"));
        Write("g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      envFrom: [app.env]\n");

        // The links are real: a reader that does not know the agent's secret files reads them.
        var plain = new ManifestFolder(Root);
        Assert.Contains(JwtKey, plain.ReadText(Path.Combine(Root, "app.env")));

        var folder = new ManifestFolder(Root) { SecretFiles = options.SecretFiles() };
        var snapshot = folder.Read();
        var errors = folder.Load(snapshot, SecurityPolicy.Default).Errors.Select(e => e.ToString()).ToList();
        var problems = snapshot.Problems.Select(p => $"{p.Path}: {p.Message}").ToList();

        Assert.Contains(problems, p => p.StartsWith("tokens.yaml:") && p.Contains("is one of the agent's own secret files"));
        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("app.env") && e.Contains("is one of the agent's own secret files"));
        Assert.Null(folder.ReadText(Path.Combine(Root, "app.env")));
        foreach (var text in errors.Concat(problems))
        {
            Assert.DoesNotContain("0123456789abcdef", text);
            Assert.DoesNotContain("Sup3r", text);
            Assert.DoesNotContain(StateDir, text); // nor where the secret file is
        }
    }
}
