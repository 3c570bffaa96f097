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
}
