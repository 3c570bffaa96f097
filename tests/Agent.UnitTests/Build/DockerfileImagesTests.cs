using Agent.Core.Build;

namespace Agent.UnitTests.Build;

/// <summary>The images a Dockerfile makes the classic builder use, read as it reads them.</summary>
public sealed class DockerfileImagesTests
{
    private static readonly Dictionary<string, string> NoArgs = [];

    private static List<string> Images(string dockerfile, Dictionary<string, string>? args = null) =>
        DockerfileImages.Of(dockerfile, args ?? NoArgs).Select(i => $"{i.Line} {i.Instruction} {i.Image}").ToList();

    [Fact]
    public void Stages_scratch_and_copy_from_a_stage_or_index_are_not_images()
    {
        var dockerfile = """
            # a comment
            FROM --platform=linux/amd64 golang:1.22 AS build
            RUN go build
            from build as test
            FROM scratch
            COPY --from=build /app /app
            COPY --from=0 /x /x
            COPY --chown=1:1 --from=nginx:1.27 /etc/nginx /etc/nginx
            """;
        Assert.Equal(["2 FROM golang:1.22", "8 COPY --from nginx:1.27"], Images(dockerfile));
    }

    [Fact]
    public void Global_args_are_substituted_and_build_args_override_their_defaults()
    {
        var dockerfile = "ARG BASE=busybox\nARG TAG\nFROM ${BASE}:${TAG:-1.35}\nARG LATE=x\nFROM $BASE\n";
        Assert.Equal(["3 FROM busybox:1.35", "5 FROM busybox"], Images(dockerfile));
        Assert.Equal(["3 FROM evil:2", "5 FROM evil"], Images(dockerfile, new() { ["BASE"] = "evil", ["TAG"] = "2" }));
    }

    [Fact]
    public void Continuations_and_the_escape_directive_join_lines()
    {
        Assert.Equal(["1 FROM alpine:3"], Images("FROM \\\n  alpine:3\n"));
        Assert.Equal(["2 FROM alpine:3"], Images("# escape=`\nFROM `\n  alpine:3\n"));
    }

    [Fact]
    public void Add_of_a_url_is_found_in_every_spelling_and_local_sources_are_not()
    {
        var dockerfile = """
            FROM busybox:1.35
            ARG SRC=http://127.0.0.1:8080/page
            ADD local.txt /a
            ADD --chown=1:1 https://169.254.169.254/latest/meta-data/ /b
            add ["http://10.0.0.1/x", "/c"]
            ADD git@github.com:o/r.git /d
            COPY http://not-fetched-by-copy /e
            ADD $SRC /f
            ADD $LOCAL /g
            """;
        var found = RemoteAdds.Find(dockerfile, new Dictionary<string, string> { ["LOCAL"] = "file.txt" });
        Assert.Equal([4, 5, 6, 8], found.Select(f => f.Line));
        Assert.Equal("http://127.0.0.1:8080/page", found[^1].Source);
    }

    [Fact]
    public void A_build_that_adds_a_url_is_refused_naming_the_line_unless_allowed()
    {
        var text = "FROM busybox:1.35\nADD http://127.0.0.1/x /x\n";
        var refused = BuildSpecs.RefusedDockerfile(text, "dockerfileInline", NoArgs, new Agent.Core.Security.SecurityOptions());
        Assert.StartsWith("dockerfileInline line 2: ADD of a URL is not allowed", refused);
        Assert.Null(BuildSpecs.RefusedDockerfile(text, "dockerfileInline", NoArgs, new Agent.Core.Security.SecurityOptions { AllowRemoteBuildSources = true }));
        Assert.Null(BuildSpecs.RefusedDockerfile("FROM busybox:1.35\nADD x /x\n", "Dockerfile", NoArgs, new Agent.Core.Security.SecurityOptions()));
    }

    [Fact]
    public void An_unknown_instruction_is_refused_naming_its_line_before_any_build()
    {
        var options = new Agent.Core.Security.SecurityOptions { AllowRemoteBuildSources = true };
        var refused = BuildSpecs.RefusedDockerfile("# syntax=docker/dockerfile:1\nFROM busybox:1.35\n\n# a comment\nRUNN echo x\n", "dockerfileInline", NoArgs, options);
        Assert.StartsWith("dockerfileInline line 5: unknown instruction RUNN (the builder knows ADD, ARG, CMD", refused);
        Assert.Null(BuildSpecs.RefusedDockerfile(
            "FROM busybox:1.35 AS base\nonbuild run true\nARG X=1\nENV A=b \\\n  C=d\nLABEL a=b\nEXPOSE 80\nWORKDIR /w\nUSER 1000\nVOLUME /v\n" +
            "SHELL [\"sh\", \"-c\"]\nSTOPSIGNAL SIGTERM\nHEALTHCHECK NONE\nMAINTAINER me\nCOPY --from=base /a /b\nADD a /b\nCMD [\"x\"]\nENTRYPOINT [\"y\"]\n",
            "Dockerfile", NoArgs, options));
    }
}
