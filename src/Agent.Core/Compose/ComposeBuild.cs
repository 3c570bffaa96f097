using Agent.Core.Build;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Core.Compose;

/// <summary>A compose service's <c>build:</c> (a context path, or a mapping of context, dockerfile, dockerfile_inline,
/// args, target, labels, cache_from), resolved by <see cref="BuildSpecs"/> exactly as a ServiceGroup's build is. Its other
/// fields (ssh, secrets, platforms, ...) are errors naming them.</summary>
internal static class ComposeBuild
{
    public static readonly string[] Fields = ["context", "dockerfile", "dockerfile_inline", "args", "target", "labels", "cache_from"];

    public static BuildSpec? Read(ComposeCursor cursor, ComposeContext project, SecurityOptions options)
    {
        BuildFields fields;
        var secretArgs = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, ComposeCursor>? f = null;
        if (cursor.IsScalar)
        {
            if (cursor.Scalar() is not { } context) return null;
            fields = new BuildFields { Context = context };
        }
        else
        {
            f = cursor.Mapping(Fields, "build field");
            if (f is null) return null;
            fields = new BuildFields
            {
                // Paths from include/extends files are already absolute (ComposePaths); a missing context is the project directory.
                Context = f.TryGetValue("context", out var c) ? c.Scalar() ?? "" : ".",
                Dockerfile = f.TryGetValue("dockerfile", out var d) ? d.Scalar() : null,
                DockerfileInline = f.TryGetValue("dockerfile_inline", out var i) ? i.Scalar() : null,
                Args = f.TryGetValue("args", out var a) ? Args(a, project, secretArgs) : new Dictionary<string, string>(),
                SecretArgs = secretArgs,
                Target = f.TryGetValue("target", out var t) ? t.Scalar() : null,
                Labels = f.TryGetValue("labels", out var l) ? l.KeyValues().ToDictionary(x => x.Key, x => x.Value ?? "", StringComparer.Ordinal) : new Dictionary<string, string>(),
                CacheFrom = f.TryGetValue("cache_from", out var cf) ? cf.StringList() : [],
            };
        }
        return BuildSpecs.Resolve(fields, project.ProjectDirectory, project.Files, options, (field, message) =>
            (f?.GetValueOrDefault(field switch
            {
                BuildField.Dockerfile => "dockerfile",
                BuildField.DockerfileInline => "dockerfile_inline",
                _ => "context",
            }) ?? cursor).Error(message));
    }

    /// <summary>Map or list; an arg without a value takes the project's variable of that name, or is left out (compose-go).
    /// An arg whose value came from <c>.env</c> (interpolated, or taken by name) joins <paramref name="secret"/>, as an
    /// environment value does: masked in the applied-spec label and in diffs.</summary>
    private static Dictionary<string, string> Args(ComposeCursor cursor, ComposeContext project, HashSet<string> secret)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value, at) in cursor.KeyValues())
        {
            if (value is not null) args[key] = value;
            else if (project.Lookup(key) is { } variable) args[key] = variable;
            else continue;
            if (at.Node is ComposeScalar { FromEnvFile: true } || value is null && project.FromEnvFile(key)) secret.Add(key);
        }
        return args;
    }
}
