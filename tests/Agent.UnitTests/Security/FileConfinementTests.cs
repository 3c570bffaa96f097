using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Security;

/// <summary>Class 3: files a manifest references resolve, after symlinks, inside the manifests folder or an allowed root,
/// and no error ever shows their content.</summary>
public sealed class FileConfinementTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-confine-");
    private readonly DirectoryInfo outside = Directory.CreateTempSubdirectory("agent-outside-");

    public void Dispose()
    {
        root.Delete(recursive: true);
        outside.Delete(recursive: true);
    }

    private string Manifests => Path.Combine(root.FullName, "manifests");

    private ManifestSet Load(string envFrom, SecurityOptions? options = null)
    {
        Directory.CreateDirectory(Path.Combine(Manifests, "apps"));
        File.WriteAllText(Path.Combine(Manifests, "apps", "g.yaml"),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      envFrom: [\"{envFrom}\"]\n");
        return new ManifestFolder(Manifests).Load(new SecurityPolicy(options ?? new SecurityOptions()));
    }

    private static ManifestError Refused(ManifestSet set)
    {
        Assert.Empty(set.Objects);
        var error = Assert.Single(set.Errors);
        Assert.Equal("spec.services[0].envFrom[0]", error.Path);
        return error;
    }

    [Theory]
    [InlineData("/etc/shadow")]                       // the issue's absolute path
    [InlineData("/etc/passwd")]
    [InlineData("../../../../../../../etc/passwd")]   // the issue's ../../
    [InlineData("../../secret.env")]                   // just one level out of the folder
    [InlineData("./../../x.env")]
    [InlineData("/proc/self/environ")]                 // the agent's own environment (tokens?)
    public void Paths_outside_the_manifests_folder_are_refused(string path)
    {
        File.WriteAllText(Path.Combine(root.FullName, "secret.env"), "TOKEN=s3cr3t\n");
        var error = Refused(Load(path));
        Assert.Contains("outside the manifests folder", error.Message);
    }

    [Fact]
    public void A_symlink_inside_the_folder_that_points_outside_is_refused()
    {
        File.WriteAllText(Path.Combine(outside.FullName, "db.env"), "PASSWORD=hunter2\n");
        Directory.CreateDirectory(Path.Combine(Manifests, "apps"));
        File.CreateSymbolicLink(Path.Combine(Manifests, "apps", "db.env"), Path.Combine(outside.FullName, "db.env"));
        var error = Refused(Load("db.env"));
        Assert.Contains("through a symlink", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void A_symlinked_folder_on_the_way_counts_too()
    {
        File.WriteAllText(Path.Combine(outside.FullName, "db.env"), "PASSWORD=hunter2\n");
        Directory.CreateDirectory(Manifests);
        Directory.CreateSymbolicLink(Path.Combine(Manifests, "shared"), outside.FullName);
        Refused(Load("../shared/db.env"));
    }

    [Fact]
    public void Files_and_links_that_stay_inside_pass_and_an_allowed_root_opens_more()
    {
        Directory.CreateDirectory(Path.Combine(Manifests, "env"));
        File.WriteAllText(Path.Combine(Manifests, "env", "a.env"), "A=1\n");
        Directory.CreateDirectory(Path.Combine(Manifests, "apps"));
        File.CreateSymbolicLink(Path.Combine(Manifests, "apps", "link.env"), Path.Combine(Manifests, "env", "a.env"));
        Assert.Equal("1", Assert.Single(Load("../env/a.env").Objects.Values.Cast<ServiceGroup>()).Spec.Services[0].Container.Env["A"]);
        Assert.Empty(Load("link.env").Errors);

        File.WriteAllText(Path.Combine(outside.FullName, "shared.env"), "S=2\n");
        var allowed = new SecurityOptions { AllowedFileRoots = [outside.FullName] };
        Assert.Empty(Load(Path.Combine(outside.FullName, "shared.env"), allowed).Errors);
    }

    [Fact]
    public void Errors_never_echo_the_content_of_the_file()
    {
        Directory.CreateDirectory(Path.Combine(Manifests, "apps"));
        File.WriteAllText(Path.Combine(Manifests, "apps", "bad.env"), "GOOD=1\nroot:$6$SALTSALT$hashhashhash:19000:0:99999:7:::\nexport  \"also bad secret-line\"\n");
        var set = Load("bad.env");
        Assert.Equal(2, set.Errors.Count());
        foreach (var error in set.Errors)
        {
            Assert.DoesNotContain("SALTSALT", error.ToString());
            Assert.DoesNotContain("secret-line", error.ToString());
            Assert.Matches(@"bad\.env:[23]: not a KEY=VALUE line", error.Message);
        }
    }

    [Fact]
    public void A_NUL_in_a_path_is_an_error_not_a_crash()
    {
        Directory.CreateDirectory(Manifests);
        File.WriteAllText(Path.Combine(Manifests, "g.yaml"),
            "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      envFrom: [\"a\\0b.env\"]\n      volumes: [\"./x\\0y:/x\"]\n      workingDir: \"/app\\0\"\n");
        var set = new ManifestFolder(Manifests).Load(SecurityPolicy.Default);
        Assert.Empty(set.Objects);
        Assert.Equal(9, set.Errors.First().Line); // the first NUL, at its own line
        Assert.All(set.Errors, e => Assert.Contains("NUL", e.Message));
    }
}
