using Agent.UnitTests.Manifests;

namespace Agent.UnitTests.Security;

/// <summary>Every case under Corpus/security is refused by the default profile, naming the field that breaks the rule.</summary>
public sealed class SecurityCorpusTests
{
    public static IEnumerable<object[]> Cases => CorpusCase.Files("security");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Default_profile_refuses_and_names_the_field(string file)
    {
        var set = CorpusCase.Load("security", file);
        var expected = CorpusCase.Expected("security", file);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, set.Errors.Select(e => e.ToString()));
        Assert.Empty(set.Objects);
    }
}
