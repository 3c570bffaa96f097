using Agent.Core.Manifests;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Manifests;

public sealed class PlacementTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-placement-");

    public void Dispose() => dir.Delete(recursive: true);

    private ManifestSet Load(string placement)
    {
        File.WriteAllText(Path.Combine(dir.FullName, "web.yaml"),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: {{ name: web }}\nspec:\n{placement}  services:\n    - name: s\n      image: busybox:1.35\n");
        return new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);
    }

    [Fact]
    public void Placement_is_read_from_any_spec_and_not_seen_by_the_kind_parser()
    {
        var set = Load("  placement:\n    hostSelector:\n      matchLabels: { role: edge, zone: a }\n");
        Assert.Empty(set.Errors);
        var document = Assert.Single(set.Documents);
        Assert.Equal("edge", document.HostSelector!["role"]);
        Assert.Null(Placement.Decide(document.HostSelector, new Dictionary<string, string> { ["role"] = "edge", ["zone"] = "a", ["x"] = "y" }));
        Assert.Contains("role=edge,zone=a does not select this host (Agent:HostLabels: role=core)",
            Placement.Decide(document.HostSelector, new Dictionary<string, string> { ["role"] = "core" }));
    }

    [Theory]
    [InlineData("  placement: { nodeSelector: {} }\n", "web.yaml:5:16: spec.placement.nodeSelector")]
    [InlineData("  placement: {}\n", "spec.placement: missing required field \"hostSelector\"")]
    [InlineData("  placement: { hostSelector: { matchLabels: {} } }\n", "matchLabels is empty")]
    public void A_bad_placement_is_an_error_at_its_line(string placement, string expected) =>
        Assert.Contains(Load(placement).Errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));

    [Fact]
    public void No_placement_selects_every_host() =>
        Assert.Null(Placement.Decide(null, new Dictionary<string, string>()));
}
