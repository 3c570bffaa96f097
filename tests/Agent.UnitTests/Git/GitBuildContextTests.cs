using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>probe-17 F8: a ServiceGroup's build context in a git repository is judged like the repository's other paths.</summary>
public sealed class GitBuildContextTests : IDisposable
{
    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("agent-git-context-");

    public void Dispose() => temp.Delete(recursive: true);

    private IReadOnlyList<string> Errors(string context)
    {
        var checkout = Path.Combine(temp.FullName, "state", "git", "platform", "current");
        Directory.CreateDirectory(Path.Combine(checkout, "apps"));
        File.WriteAllText(Path.Combine(checkout, "README"), "r");
        File.WriteAllText(Path.Combine(checkout, "apps", "web.yaml"),
            "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: s\n      image: web:1\n" +
            $"      build:\n        context: \"{context}\"\n        dockerfileInline: \"FROM busybox:1.35\\nCOPY . /ctx\\n\"\n");
        var set = new ManifestFolder(Path.Combine(checkout, "apps")) { ConfinedTo = checkout }.Load(SecurityPolicy.Default);
        return set.Errors.Select(e => e.ToString()).ToList();
    }

    [Theory]
    [InlineData("..")]   // outside spec.path (apps), inside the checkout: before, "outside the manifests folder"
    [InlineData(".")]
    public void A_context_inside_the_checkout_is_allowed_also_outside_spec_path(string context) =>
        Assert.Empty(Errors(context));

    [Theory]
    [InlineData("../..")]
    [InlineData("../../../..")]
    public void A_context_outside_the_checkout_is_refused_without_naming_a_host_path(string context)
    {
        var error = Assert.Single(Errors(context));
        Assert.Contains($"build context \"{context}\" is outside the repository's checkout", error);
        Assert.DoesNotContain(temp.FullName, error); // before: "resolves to /…/state/git/platform, outside the manifests folder"
    }
}
