using Agent.Core.Build;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Build;

/// <summary>build.push: read from the manifest, refused without an image naming a registry, and not part of any hash.</summary>
public sealed class BuildPushTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-build-push-");

    public void Dispose() => root.Delete(recursive: true);

    private ManifestSet Load(string service)
    {
        Directory.CreateDirectory(Path.Combine(root.FullName, "web"));
        File.WriteAllText(Path.Combine(root.FullName, "web", "Dockerfile"), "FROM busybox:1.35\n");
        File.WriteAllText(Path.Combine(root.FullName, "g.yaml"), $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n    - name: web\n{service}");
        return new ManifestFolder(root.FullName).Load(new SecurityPolicy(new SecurityOptions()));
    }

    private static ContainerSpec Container(ManifestSet set) => ((ServiceGroup)set.Objects.Values.Single()).Spec.Services.Single().Container;

    [Fact]
    public void Push_is_read_and_changes_neither_the_build_hash_nor_the_spec_hash()
    {
        var pushed = Load("      image: localhost:5000/app:1\n      build: { context: ./web, push: true }\n");
        Assert.Empty(pushed.Errors);
        var withPush = Container(pushed);
        Assert.True(withPush.Build!.Push);
        var without = Container(Load("      image: localhost:5000/app:1\n      build: { context: ./web }\n"));
        Assert.False(without.Build!.Push);
        Assert.Equal(BuildSpecs.Hash(without.Build), BuildSpecs.Hash(withPush.Build));
        Assert.Equal(Agent.Core.Planning.SpecHash.Of(without), Agent.Core.Planning.SpecHash.Of(withPush));
    }

    [Fact]
    public void Push_without_an_image_is_an_error_at_build()
    {
        var set = Load("      build: { context: ./web, push: true }\n");
        var error = Assert.Single(set.Errors);
        Assert.Contains("push needs image:", error.Message);
        Assert.Equal(8, error.Line); // the build: line
    }
}
