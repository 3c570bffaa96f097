using Agent.Core.Security;
using Agent.Sources;
using Agent.UnitTests.Compose;

namespace Agent.UnitTests.Manifests;

/// <summary>An image reference the engine refuses (an uppercase repository) is an error at the manifest's field, in every
/// kind that names an image, rather than a manifest that passes `agent validate` and fails at the engine.</summary>
public sealed class ImageReferenceManifestTests
{
    private static string[] Errors(string file, string yaml)
    {
        var dir = Directory.CreateTempSubdirectory("agent-image-ref-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, file), yaml);
            return new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default).Errors.Select(e => e.ToString()).ToArray();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private const string Lowercase = "is not an image reference the engine accepts: repository name must be lowercase";

    [Fact]
    public void A_service_group_with_an_uppercase_repository_is_refused_at_its_image()
    {
        var errors = Errors("g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n      image: p37yUPPER:1\n");
        Assert.Equal([$"g.yaml:8:14: spec.services[0].image: \"p37yUPPER:1\" {Lowercase} (\"p37yUPPER\"; Docker refuses it)"], errors);
    }

    [Fact]
    public void A_cronjob_and_a_job_with_an_uppercase_repository_are_refused_at_their_image()
    {
        var cron = Errors("c.yaml", "apiVersion: agent/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  schedule: \"0 3 * * *\"\n" +
                                    "  jobTemplate:\n    container:\n      image: ns/App:1\n      command: [\"true\"]\n");
        Assert.Contains(cron, e => e.StartsWith("c.yaml:9:14: ", StringComparison.Ordinal) && e.Contains($"image: \"ns/App:1\" {Lowercase}", StringComparison.Ordinal));
        var job = Errors("j.yaml", "apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  container:\n    image: Busybox\n    command: [\"true\"]\n");
        Assert.Contains(job, e => e.StartsWith("j.yaml:7:12: ", StringComparison.Ordinal) && e.Contains($"image: \"Busybox\" {Lowercase}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_compose_service_with_an_uppercase_repository_is_refused_at_its_image()
    {
        using var stack = new ComposeStackFolder();
        var errors = stack.Errors("services:\n  app:\n    image: localhost:5000/Team/app:1\n");
        Assert.Contains(errors, e => e.Contains("services.app.image", StringComparison.Ordinal) && e.Contains(Lowercase, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("busybox:1.35")]
    [InlineData("Registry.Example:5000/team/app:V1")] // a registry host and a tag may have capitals
    [InlineData("MyHost/app")] // a first component with a capital is a registry, as the engine reads it
    [InlineData("localhost/a__b-c.d/e:1")]
    [InlineData("app:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void References_the_engine_accepts_load(string image) =>
        Assert.Empty(Errors("g.yaml", $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n      image: {image}\n"));
}
