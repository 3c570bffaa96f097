using Agent.Core.Build;

namespace Agent.UnitTests.Build;

/// <summary>.dockerignore as the classic builder reads it (the examples of Docker's build-context reference).</summary>
public sealed class DockerIgnoreTests
{
    private static readonly DockerIgnore Reference = new("""
        # comment
        */temp*
        */*/temp*
        temp?
        **/*.log
        !keep.log
        /secrets
        ./build/
        """);

    [Theory]
    [InlineData("somedir/temporary.txt", true)]
    [InlineData("somedir/subdir/temporary.txt", true)]
    [InlineData("tempa", true)]
    [InlineData("tempab", false)]
    [InlineData("a/b/c/debug.log", true)]
    [InlineData("debug.log", true)]
    [InlineData("keep.log", false)]
    [InlineData("secrets/token", true)]
    [InlineData("build/out/app", true)]
    [InlineData("src/main.c", false)]
    [InlineData("# comment", false)]
    public void Patterns_match_as_the_classic_builder_matches_them(string path, bool excluded) =>
        Assert.Equal(excluded, Reference.Excludes(path));

    [Fact]
    public void The_last_matching_line_wins()
    {
        var ignore = new DockerIgnore("*.md\n!README*.md\nREADME-secret.md\n");
        Assert.True(ignore.Excludes("CHANGES.md"));
        Assert.False(ignore.Excludes("README.md"));
        Assert.True(ignore.Excludes("README-secret.md"));
    }

    [Fact]
    public void No_file_excludes_nothing() => Assert.False(new DockerIgnore(null).Excludes("anything/at/all"));
}
