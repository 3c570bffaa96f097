using Agent.Core.Build;
using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>A ServiceGroup service's <c>build:</c>: a context path, or a mapping of context, dockerfile, dockerfileInline,
/// args, target, labels; resolved by <see cref="BuildSpecs"/> as compose's build is.</summary>
internal sealed partial class ServiceParser
{
    public static readonly string[] BuildFields = ["context", "dockerfile", "dockerfileInline", "args", "target", "labels", "push"];

    /// <summary>Only a ServiceGroup's services are built (not jobs nor imperative runs).</summary>
    public bool AllowBuild { get; init; }

    private BuildSpec? ReadBuild(YamlCursor cursor)
    {
        if (!AllowBuild)
        {
            cursor.Error("build is supported in ServiceGroup services only: build the image there (or through POST /api/v1/images/build) and name it in image");
            return null;
        }
        BuildFields fields;
        Dictionary<string, YamlCursor>? f = null;
        if (cursor.Node is YamlDotNet.RepresentationModel.YamlScalarNode)
        {
            if (cursor.String() is not { } context) return null;
            fields = new BuildFields { Context = context };
        }
        else
        {
            f = cursor.Mapping(BuildFields);
            if (f is null) return null;
            fields = new BuildFields
            {
                // An inline Dockerfile without a context is built alone, not with the manifests folder as its context.
                Context = f.TryGetValue("context", out var c) ? c.String() ?? "" : f.ContainsKey("dockerfileInline") ? null : ".",
                Dockerfile = Text(f, "dockerfile"),
                DockerfileInline = Text(f, "dockerfileInline"),
                Args = f.TryGetValue("args", out var a) ? a.StringMap() ?? [] : new SortedDictionary<string, string>(),
                Target = Text(f, "target"),
                Labels = f.TryGetValue("labels", out var l) ? l.StringMap() ?? [] : new SortedDictionary<string, string>(),
            };
        }
        var push = f is not null && f.TryGetValue("push", out var p) && p.Bool() == true;
        var build = BuildSpecs.Resolve(fields, manifestDir, files, cursor.Context.Policy.Options, (field, message) =>
            (f?.GetValueOrDefault(field switch
            {
                BuildField.Dockerfile => "dockerfile",
                BuildField.DockerfileInline => "dockerfileInline",
                _ => "context",
            }) ?? cursor).Error(message));
        return build is null ? null : build with { Push = push };
    }
}
