using Agent.Core.Security;

namespace Agent.UnitTests.Manifests;

/// <summary>Every broken manifest under Corpus/broken gives exactly the error in expected.txt: file:line:column, field path and message.</summary>
public sealed class BrokenManifestCorpusTests
{
    public static IEnumerable<object[]> Cases => CorpusCase.Files("broken");

    // /srv is an allowed bind root here, so a missing absolute bind is judged as missing (the policy has its own corpus).
    private static readonly SecurityPolicy Policy = new(new SecurityOptions { AllowedBindRoots = ["/srv"] });

    [Fact]
    public void The_corpus_has_at_least_40_cases_each_with_an_expectation()
    {
        var cases = Cases.Select(c => (string)c[0]).ToList();
        Assert.True(cases.Count >= 40, $"only {cases.Count} cases");
        Assert.All(cases, c => Assert.NotEmpty(CorpusCase.Expected("broken", c)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Broken_manifest_is_reported_at_its_exact_location(string file)
    {
        var set = CorpusCase.Load("broken", file, Policy);
        Assert.Equal(CorpusCase.Expected("broken", file), set.Errors.Select(e => e.ToString()));
        Assert.Empty(set.Objects);
    }
}
