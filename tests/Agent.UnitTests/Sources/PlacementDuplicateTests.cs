using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Hosting;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agent.UnitTests.Sources;

/// <summary>Two manifests of one name are judged the same on every host (probe-13c C2: a duplicate that selected only
/// other hosts was accepted here and refused there, so hosts diverged on one revision).</summary>
public sealed class PlacementDuplicateTests() : ManifestFolderTestBase("placement-dup")
{

    private void WriteGroup(string file, string matchLabels) =>
        File.WriteAllText(Path.Combine(Root, file),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: {{ name: d }}\nspec:\n  placement: {{ hostSelector: {{ matchLabels: {matchLabels} }} }}\n" +
            "  services:\n    - name: s\n      image: busybox:1.35\n");

    private DesiredEntry? Read(string role)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new AgentOptions { HostLabels = new(StringComparer.Ordinal) { ["role"] = role } });
        var store = NewStore(placement: new HostPlacement(options));
        store.Reload();
        return store.Get(new ObjectKey(ServiceGroup.KindName, "d"));
    }

    [Theory]
    [InlineData("core")]
    [InlineData("edge")]
    public void A_duplicate_that_selects_only_other_hosts_is_an_error_on_this_host_too(string role)
    {
        WriteGroup("d.yaml", "{ role: edge }");
        WriteGroup("d2.yaml", "{ role: edge }");

        var entry = Read(role);

        Assert.NotNull(entry);
        Assert.Null(entry.NotSelected);
        var error = Assert.Single(entry.Errors);
        Assert.Equal("d2.yaml:3:19: metadata.name: ServiceGroup/d is already defined at d.yaml:1:1", error.ToString());
    }

    [Theory]
    [InlineData("core", null)]
    [InlineData("edge", null)]
    [InlineData("other", "does not select this host")]
    public void Manifests_of_one_name_for_disjoint_hosts_are_no_duplicate_on_any_host(string role, string? notSelected)
    {
        WriteGroup("d.yaml", "{ role: edge }");
        WriteGroup("d2.yaml", "{ role: core }");

        var entry = Read(role);

        Assert.NotNull(entry);
        Assert.Empty(entry.Errors);
        if (notSelected is null) Assert.NotNull(entry.Object);
        else Assert.Contains(notSelected, entry.NotSelected);
    }

    [Theory]
    [InlineData("{ role: edge }", "{ zone: a }")] // a host with role=edge,zone=a is selected by both
    [InlineData("{ role: edge }", null)]
    public void Selectors_that_some_host_satisfies_both_are_duplicates(string first, string? second)
    {
        Assert.False(Placement.Disjoint(Labels(first), Labels(second)));
        Assert.True(Placement.Disjoint(Labels("{ role: edge }"), Labels("{ role: core, zone: a }")));
    }

    private static Dictionary<string, string>? Labels(string? yaml) =>
        yaml?.Trim('{', '}', ' ').Split(',').Select(p => p.Split(':')).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
}
