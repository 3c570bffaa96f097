using Agent.Core.Build;
using Agent.Core.Security;

namespace Agent.UnitTests.Build;

/// <summary>ADD of a URL, found the way the classic builder reads the Dockerfile: lines joined, variables substituted
/// (ARG, build args, ENV, the FROM image's environment), ONBUILD both ways (probe-15e E5, probe-15d H16).</summary>
public sealed class RemoteAddsTests
{
    private static readonly Dictionary<string, string> NoArgs = [];

    private static string? Refused(string dockerfile, Dictionary<string, string>? args = null, Func<string, BaseImageConfig?>? bases = null) =>
        BuildSpecs.RefusedDockerfile(dockerfile, "dockerfileInline", args ?? NoArgs, new SecurityOptions(), bases);

    [Theory]
    [InlineData("FROM busybox:1.35\nENV U=http://127.0.0.1:18996/f05\nADD $U /x\n", 3, "http://127.0.0.1:18996/f05")]
    [InlineData("FROM busybox:1.35\nenv U http://127.0.0.1:18996/f26\nADD ${U} /x\n", 3, "http://127.0.0.1:18996/f26")]
    [InlineData("FROM busybox:1.35\nENV S=http:\nADD ${S}//127.0.0.1:18996/f06 /x\n", 3, "http://127.0.0.1:18996/f06")]
    [InlineData("FROM busybox:1.35\nAD\\\nD http://127.0.0.1:18996/f07 /x\n", 2, "http://127.0.0.1:18996/f07")]
    [InlineData("FROM busybox:1.35\nENV A=http B=x\nENV U=\"${A}://h/f\"\nADD [\"$U\", \"/x\"]\n", 4, "http://h/f")]
    [InlineData("FROM busybox:1.35 AS base\nENV U=https://h/f\nFROM base\nADD $U /x\n", 4, "https://h/f")]
    [InlineData("FROM busybox:1.35\nARG S=ht\nENV U=${S}tp://h/f\nADD $U /x\n", 4, "http://h/f")]
    [InlineData("FROM busybox:1.35\nENV U='http://h/f'\nADD h\\ttp://h/g /x\n", 3, "http://h/g")]
    [InlineData("FROM busybox:1.35\nE\\\n  # comment inside\n\nNV U http://h/f\nADD $U /x\n", 6, "http://h/f")]
    public void Env_substitution_and_continuations_inside_words_are_read_as_the_builder_reads_them(string dockerfile, int line, string source)
    {
        Assert.StartsWith($"dockerfileInline line {line}: ADD of a URL is not allowed (\"{source}\"): the engine fetches it", Refused(dockerfile));
    }

    [Theory]
    [InlineData("FROM busybox:1.35\nADD http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nadd http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nADD [\"http://127.0.0.1/x\", \"/x\"]\n")]
    [InlineData("FROM busybox:1.35\nARG U=http://127.0.0.1/x\nADD $U /x\n")]
    [InlineData("FROM busybox:1.35\nADD ${U:-http://127.0.0.1/x} /x\n")]
    [InlineData("FROM busybox:1.35\nARG U=1\nADD ${U:+http://127.0.0.1/x} /x\n")]
    [InlineData("ARG U=http://127.0.0.1/x\nFROM busybox:1.35\nARG U\nADD $U /x\n")]
    [InlineData("FROM busybox:1.35\nADD \\\n  http://127.0.0.1/x /x\n")]
    [InlineData("# escape=`\nFROM busybox:1.35\nADD `\n  http://127.0.0.1/x /x\n")]
    [InlineData("# escape=`\nFROM busybox:1.35\nAD`\nD http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nADD --chown=1:1 http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nADD --checksum=sha256:00 http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nADD local.txt http://127.0.0.1/x /dir/\n")]
    [InlineData("FROM busybox:1.35\nADD\thttp://127.0.0.1/x\t/x\n")]
    [InlineData("FROM busybox:1.35\r\nADD http://127.0.0.1/x /x\r\n")]
    [InlineData("FROM busybox:1.35\n   ADD http://127.0.0.1/x /x\n")]
    [InlineData("\uFEFFFROM busybox:1.35\nADD http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nADD \\\n# comment\n http://127.0.0.1/x /x\n")]
    [InlineData("FROM busybox:1.35\nADD git@github.com:o/r.git /x\n")]
    [InlineData("FROM busybox:1.35\nADD $HTTP_PROXY /x\n")]
    public void The_shapes_refused_before_still_are(string dockerfile)
    {
        var args = new Dictionary<string, string> { ["HTTP_PROXY"] = "http://127.0.0.1:3128/" };
        Assert.Contains("ADD of a URL is not allowed", Refused(dockerfile, args));
    }

    [Theory]
    [InlineData("FROM busybox:1.35\nADD local.txt /x\n")]
    [InlineData("FROM busybox:1.35\nENV U=local.txt\nADD $U /x\n")]
    [InlineData("FROM busybox:1.35\nENV U=http://h/f\nADD '$U' /x\n")] // single quotes: the literal "$U"
    [InlineData("FROM busybox:1.35\nADD \\$U /x\n")]
    [InlineData("FROM busybox:1.35\nARG V=1\nADD app-$V.tar /x\n")]
    [InlineData("FROM busybox:1.35\nADD ${DIR}/file /x\n")] // unset: "/file"
    [InlineData("ARG U=http://h/f\nFROM busybox:1.35\nADD $U /x\n")] // a global ARG is not in scope until the stage declares it
    [InlineData("FROM busybox:1.35\nENV U=http://h/f\nCOPY $U /x\n")] // COPY never fetches
    [InlineData("FROM busybox:1.35\nONBUILD ADD . /app\n")]
    public void Local_sources_pass(string dockerfile)
    {
        Assert.Null(Refused(dockerfile));
    }

    [Fact]
    public void An_env_value_wins_over_an_arg_and_is_expanded_when_set()
    {
        Assert.Null(Refused("FROM busybox:1.35\nARG U=http://h/f\nENV U=local.txt\nADD $U /x\n"));
        // Pairs of one ENV are expanded with the values from before it.
        Assert.Null(Refused("FROM busybox:1.35\nENV U=a.txt\nENV U=http://h/f V=$U\nADD $V /x\n"));
    }

    [Fact]
    public void Onbuild_add_of_a_url_is_refused_at_the_base_build_and_a_variable_there_is_not_known()
    {
        Assert.Contains("line 2: ADD of a URL is not allowed (ONBUILD ADD \"http://127.0.0.1:18996/f23\": every build FROM this image would fetch it)",
            Refused("FROM busybox:1.35\nONBUILD ADD http://127.0.0.1:18996/f23 /x\n"));
        Assert.Contains("line 2: ADD of a URL is not allowed (ONBUILD ADD \"${U}/f\"", Refused("FROM busybox:1.35\nONBUILD ADD ${U}/f /x\n"));
        Assert.Null(Refused("FROM busybox:1.35\nONBUILD ADD src/${U} /x\n"));
    }

    [Fact]
    public void The_from_images_triggers_and_environment_are_read_when_an_engine_answers()
    {
        BaseImageConfig? Bases(string image) => image switch
        {
            "probe/onbuild:1" => new(["PATH=/bin"], ["ADD http://127.0.0.1:18996/f23 /x"]),
            "probe/env:1" => new(["U=http://127.0.0.1/f", "PATH=/bin"], []),
            "probe/triggers-env:1" => new([], ["ENV T=http://127.0.0.1/t", "ADD $T /t"]),
            _ => new(["PATH=/bin"], []),
        };
        Assert.Contains("line 1: ADD of a URL is not allowed (\"http://127.0.0.1:18996/f23\" in an ONBUILD trigger of the FROM image \"probe/onbuild:1\", which this build runs)",
            Refused("FROM probe/onbuild:1\nRUN true\n", bases: Bases));
        Assert.Contains("line 2: ADD of a URL is not allowed (\"http://127.0.0.1/f\")", Refused("FROM probe/env:1\nADD $U /x\n", bases: Bases));
        Assert.Contains("line 1: ADD of a URL is not allowed (\"http://127.0.0.1/t\" in an ONBUILD trigger", Refused("FROM probe/triggers-env:1\n", bases: Bases));
        Assert.Null(Refused("FROM busybox:1.35\nADD $U /x\n", bases: Bases));
        // Without an engine answer for an image its environment is not known: a variable that could form a URL is refused.
        Assert.Contains("\"${U}/f\" starts with a variable that is not known before the build", Refused("FROM gone:1\nADD ${U}/f /x\n", bases: _ => null));
        Assert.Null(Refused("FROM gone:1\nADD ./${U}/f /x\n", bases: _ => null));
    }

    [Fact]
    public void The_word_expansion_follows_the_builders_lexer()
    {
        string? Lookup(string name) => name switch { "A" => "a", "E" => "", _ => null };
        Assert.Equal("a-a-x-y-a", ShellWord.Expand("$A-${A}-${Z:-x}-${A:+y}-\"$A\"", Lookup));
        Assert.Equal("$A \"b\" $", ShellWord.Expand("'$A' \\\"b\\\" $", Lookup));
        Assert.Equal("w", ShellWord.Expand("${E:-w}", Lookup));
        Assert.Equal("", ShellWord.Expand("${E-w}", Lookup));
        Assert.Null(ShellWord.Expand("\"open", Lookup));
        Assert.Null(ShellWord.Expand("${A", Lookup));
        Assert.Equal("a`", ShellWord.Expand("$A``", Lookup, '`'));
    }

    [Fact]
    public void Allowed_when_the_setting_says_so()
    {
        Assert.Null(BuildSpecs.RefusedDockerfile("FROM busybox:1.35\nENV U=http://h/f\nADD $U /x\n", "Dockerfile", NoArgs,
            new SecurityOptions { AllowRemoteBuildSources = true }));
    }
}
