using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>A FIFO or a folder where an env file or a manifest should be is said to be no regular file, never "not
/// found" or "empty" (it is there), and never blocks the reader.</summary>
public sealed class NonRegularInputFileTests() : ManifestFolderTestBase("non-regular")
{
    private async Task MkfifoAsync(string relative)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Root, relative))!);
        using var mk = System.Diagnostics.Process.Start("mkfifo", Path.Combine(Root, relative))!;
        await mk.WaitForExitAsync();
    }

    [Fact]
    public async Task Env_files_and_manifests_that_are_fifos_or_folders_are_named_as_such()
    {
        Write("g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      envFrom: [app.env, dir.env]\n");
        Directory.CreateDirectory(Path.Combine(Root, "dir.env"));
        await MkfifoAsync("app.env");
        Write("stk/compose.yaml", "services:\n  app: { image: \"busybox:1.35\", env_file: [{ path: web.env, required: false }] }\n");
        await MkfifoAsync("stk/.env");
        await MkfifoAsync("stk/web.env");
        await MkfifoAsync("x.yaml");

        var errors = (await Task.Run(() => new ManifestFolder(Root).Load(SecurityPolicy.Default).Errors.Select(e => e.ToString()).ToList())
            .WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("env file \"app.env\" is a FIFO (named pipe), not a regular file"));
        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("env file \"dir.env\" is a directory, not a regular file"));
        Assert.Contains("stk/.env:1:1: env file is a FIFO (named pipe), not a regular file", errors);
        Assert.Contains(errors, e => e.Contains("env file \"web.env\" is a FIFO (named pipe), not a regular file"));  // optional, but there
        Assert.Contains(errors, e => e.StartsWith("x.yaml:") && e.Contains("cannot be read: is a FIFO (named pipe), not a regular file"));
        Assert.DoesNotContain(errors, e => e.Contains("not found") || e.Contains("is empty"));
    }
}
