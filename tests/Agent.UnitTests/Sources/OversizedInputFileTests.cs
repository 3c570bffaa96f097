using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>probe-15f F13, F2: an env file, a compose include or a Dockerfile over Agent:MaxManifestFileBytes (or holding
/// NUL bytes) is refused naming the file and the limit, never read whole: a 200 MB include stalled every later read.</summary>
public sealed class OversizedInputFileTests() : ManifestFolderTestBase("oversized")
{
    private const long Limit = 4096;

    private void Sparse(string relative, long length)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        file.SetLength(length); // NUL bytes, as `truncate -s` makes
    }

    [Fact]
    public void Env_include_extends_and_dockerfile_over_the_limit_or_with_nul_bytes_are_refused_by_name()
    {
        Write("g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      envFrom: [big.env, nul.env, ok.env]\n");
        Write("big.env", "A=" + new string('x', (int)Limit) + "\n");
        Write("nul.env", "A=1\n\0B=2\n");
        Write("ok.env", "A=1\n");
        Write("inc/compose.yaml", "include: [huge.yml]\nservices:\n  x: { image: \"busybox:1.35\", extends: { file: base.yml, service: b } }\n");
        Sparse("inc/huge.yml", 200L * 1024 * 1024);
        Sparse("inc/base.yml", 64);
        Write("bld/compose.yaml", "services:\n  app: { build: { context: ./ctx } }\n");
        Write("bld/ctx/Dockerfile", "FROM busybox:1.35\n" + string.Concat(Enumerable.Repeat("RUN true\n", 1000)));

        var errors = new ManifestFolder(Root, maxFileBytes: Limit).Load(SecurityPolicy.Default).Errors.Select(e => e.ToString()).ToList();

        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains($"env file \"big.env\" is {Limit + 3} bytes, over the limit of {Limit} bytes per file the agent reads") && e.Contains("Agent:MaxManifestFileBytes"));
        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("env file \"nul.env\" is not a text file: it holds a NUL byte at offset 4"));
        Assert.DoesNotContain(errors, e => e.Contains("ok.env"));
        Assert.Contains(errors, e => e.Contains("huge.yml") && e.Contains($"is {200L * 1024 * 1024} bytes, over the limit of {Limit} bytes"));
        Assert.Contains(errors, e => e.Contains("base.yml") && e.Contains("is not a text file: it holds a NUL byte at offset 0"));
        Assert.Contains(errors, e => e.StartsWith("bld/compose.yaml:") && e.Contains("services.app.build.context: Dockerfile is 9018 bytes, over the limit"));
    }
}
