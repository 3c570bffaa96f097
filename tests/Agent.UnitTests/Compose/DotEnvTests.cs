using Agent.Core.Compose;
using Agent.Core.Manifests;

namespace Agent.UnitTests.Compose;

/// <summary>Env files read with compose-go's dotenv rules (its fixtures, in spirit), for .env, env_file and envFrom alike.</summary>
public sealed class DotEnvTests
{
    private static Dictionary<string, string> Parse(string text, Dictionary<string, string>? env = null)
    {
        var result = DotEnv.Parse(text, n => env is not null && env.TryGetValue(n, out var v) ? v : null);
        Assert.Empty(result.Errors);
        return result.Values.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    [Fact]
    public void Plain_values_lose_surrounding_blanks_and_inline_comments()
    {
        var v = Parse("A=1\n  B = two words   # a comment\nC=no#comment\n# full line\n\nD=\n");
        Assert.Equal("1", v["A"]);
        Assert.Equal("two words", v["B"]);
        Assert.Equal("no#comment", v["C"]);
        Assert.Equal("", v["D"]);
    }

    [Fact]
    public void Single_quotes_are_literal()
    {
        var v = Parse("A='a $HOME \\n b' # gone\nB='it''s'\n", new() { ["HOME"] = "/root" });
        Assert.Equal("a $HOME \\n b", v["A"]);
        Assert.Equal("it", v["B"]);
    }

    [Fact]
    public void Double_quotes_expand_escapes_and_variables_and_drop_a_trailing_comment()
    {
        var v = Parse("A=\"line1\\nline2\\ttab \\\"q\\\" \\\\ \\101\" # comment\nB=\"$A!\"\nC=\"\\$LITERAL\"\n");
        Assert.Equal("line1\nline2\ttab \"q\" \\ A", v["A"]);
        Assert.Equal("line1\nline2\ttab \"q\" \\ A!", v["B"]);
        Assert.Equal("$LITERAL", v["C"]);
    }

    [Fact]
    public void Quoted_values_may_span_lines()
    {
        var v = Parse("KEY=\"first\nsecond\"\nSINGLE='a\nb'\nNEXT=1\n");
        Assert.Equal("first\nsecond", v["KEY"]);
        Assert.Equal("a\nb", v["SINGLE"]);
        Assert.Equal("1", v["NEXT"]);
    }

    [Fact]
    public void Export_prefix_and_yaml_style_are_accepted()
    {
        var v = Parse("export A=1\nB: two\nexport C: 3\n");
        Assert.Equal(("1", "two", "3"), (v["A"], v["B"], v["C"]));
    }

    [Fact]
    public void A_bare_key_inherits_the_environment_and_is_absent_when_unset()
    {
        var v = Parse("FROM_ENV\nNOT_SET\n", new() { ["FROM_ENV"] = "yes" });
        Assert.Equal("yes", v["FROM_ENV"]);
        Assert.False(v.ContainsKey("NOT_SET"));
    }

    [Fact]
    public void Variables_expand_from_earlier_lines_and_the_environment_with_defaults()
    {
        var v = Parse("BASE=/srv\nDATA=${BASE}/data\nLOG=$BASE/log\nUSER_HOME=${HOME}\nDEF=${MISSING:-fallback}\nDASH=${MISSING-x}\n", new() { ["HOME"] = "/home/u" });
        Assert.Equal("/srv/data", v["DATA"]);
        Assert.Equal("/srv/log", v["LOG"]);
        Assert.Equal("/home/u", v["USER_HOME"]);
        Assert.Equal("fallback", v["DEF"]);
        Assert.Equal("x", v["DASH"]);
    }

    [Fact]
    public void The_environment_wins_over_earlier_lines_as_in_compose_go()
    {
        var v = Parse("A=file\nB=$A\n", new() { ["A"] = "env" });
        Assert.Equal("env", v["B"]);
    }

    [Fact]
    public void A_byte_order_mark_and_crlf_line_ends_are_skipped()
    {
        var v = Parse("\uFEFFA=1\r\nB=2\r\n");
        Assert.Equal(("1", "2"), (v["A"], v["B"]));
    }

    [Fact]
    public void Later_lines_override_earlier_ones()
    {
        var v = Parse("A=1\nA=2\n");
        Assert.Equal("2", v["A"]);
    }

    [Fact]
    public void Errors_name_the_line()
    {
        var result = DotEnv.Parse("OK=1\n=nokey\nBAD KEY=1\nQ=\"never closed\n");
        Assert.Equal([2, 3, 4], result.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Errors_never_show_the_lines_text()
    {
        var result = DotEnv.Parse("GOOD=1\nDB_PASSWORD:hunter2-SECRET\nhunter3 SECRET\n=hunter4-SECRET\nhunter5 SECRET=1\n");
        Assert.Equal([2, 3, 4, 5], result.Errors.Select(e => e.Line));
        Assert.All(result.Errors, e => Assert.DoesNotContain("SECRET", e.Message));
        Assert.All(result.Errors, e => Assert.Contains("its text is not shown", e.Message));
    }

    [Fact]
    public void ServiceGroup_envFrom_reads_with_the_same_rules()
    {
        var values = EnvFileSyntax.Parse("export A=\"x\\ny\" # c\nB: 2\nC=${A}\n", out var errors);
        Assert.Empty(errors);
        Assert.Equal("x\ny", values["A"]);
        Assert.Equal("2", values["B"]);
        Assert.Equal("x\ny", values["C"]);
    }
}
