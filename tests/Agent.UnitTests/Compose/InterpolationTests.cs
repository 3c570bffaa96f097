using Agent.Core.Compose;

namespace Agent.UnitTests.Compose;

/// <summary>The Compose Specification's interpolation section, example by example.</summary>
public sealed class InterpolationTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["TAG"] = "v1.5", ["EMPTY"] = "", ["HOST"] = "db", ["PORT"] = "5432",
    };

    private static string Run(string text) =>
        Interpolation.Substitute(text, n => Env.TryGetValue(n, out var v) ? v : null, out var error) ?? throw new Xunit.Sdk.XunitException(error);

    private static string Fails(string text)
    {
        Assert.Null(Interpolation.Substitute(text, n => Env.TryGetValue(n, out var v) ? v : null, out var error));
        return error!;
    }

    [Theory]
    [InlineData("webapp:$TAG", "webapp:v1.5")]
    [InlineData("webapp:${TAG}", "webapp:v1.5")]
    [InlineData("${UNSET}", "")]
    [InlineData("${UNSET:-default}", "default")]
    [InlineData("${EMPTY:-default}", "default")]
    [InlineData("${UNSET-default}", "default")]
    [InlineData("${EMPTY-default}", "")]
    [InlineData("${TAG:+set}", "set")]
    [InlineData("${EMPTY:+set}", "")]
    [InlineData("${EMPTY+set}", "set")]
    [InlineData("${UNSET+set}", "")]
    [InlineData("${TAG:?must be set}", "v1.5")]
    [InlineData("${EMPTY?must be set}", "")]
    [InlineData("${UNSET:-${HOST}:${PORT}}", "db:5432")]
    [InlineData("${UNSET:-${ALSO_UNSET:-deep}}", "deep")]
    [InlineData("$$VAR is literal", "$VAR is literal")]
    [InlineData("cost: $$5", "cost: $5")]
    [InlineData("no variables", "no variables")]
    [InlineData("${HOST}_${PORT}", "db_5432")]
    [InlineData("$HOST-x", "db-x")]
    public void Substitutes_as_the_compose_specification_documents(string text, string expected) => Assert.Equal(expected, Run(text));

    [Fact]
    public void Required_variables_fail_with_their_message() =>
        Assert.Equal("required variable UNSET is missing: please set it", Fails("${UNSET:?please set it}"));

    [Fact]
    public void Colon_question_mark_also_refuses_an_empty_value() =>
        Assert.Contains("EMPTY is empty", Fails("${EMPTY:?}"));

    [Theory]
    [InlineData("${unclosed")]
    [InlineData("${}")]
    [InlineData("a lone $")]
    [InlineData("$1")]
    [InlineData("${VAR:x}")]
    public void Malformed_templates_are_errors(string text) => Assert.Contains("invalid interpolation format", Fails(text));

    /// <summary>probe-31 F9: docker compose warns of a variable used without a default that is not set; the loader is told
    /// of each, and only of those (a default, an alternative or an empty value set is no such use).</summary>
    [Theory]
    [InlineData("$UNSET and ${ALSO_UNSET}", "ALSO_UNSET,UNSET")]
    [InlineData("${UNSET:-${NESTED_UNSET}}", "NESTED_UNSET")]
    [InlineData("${UNSET:-default} ${UNSET-default} ${UNSET:+x} ${UNSET+x}", "")]
    [InlineData("${EMPTY} $TAG $$LITERAL", "")]
    public void Variables_used_without_a_default_that_are_not_set_are_told(string text, string expected)
    {
        var unset = new SortedSet<string>(StringComparer.Ordinal);
        Assert.NotNull(Interpolation.Substitute(text, n => Env.TryGetValue(n, out var v) ? v : null, out _, n => unset.Add(n)));
        Assert.Equal(expected, string.Join(",", unset));
    }
}
