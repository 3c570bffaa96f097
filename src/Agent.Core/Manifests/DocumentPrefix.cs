using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Names a document of another source (a git checkout) by where it is in the whole desired state: its file,
/// its errors and its object's source get a prefix such as <c>gitrepositories/platform/</c>.</summary>
public static class DocumentPrefix
{
    public static ManifestDocument Add(string prefix, ManifestDocument document) => document with
    {
        Source = Add(prefix, document.Source),
        Errors = document.Errors.Select(e => e with { File = prefix + e.File }).ToList(),
        Object = document.Object switch
        {
            null => null,
            ServiceGroup g => g with { Source = Add(prefix, g.Source) },
            CronJob c => c with { Source = Add(prefix, c.Source) },
            Job j => j with { Source = Add(prefix, j.Source) },
            GitRepository r => r with { Source = Add(prefix, r.Source) },
            var other => other,
        },
        ComposeFiles = document.ComposeFiles.Select(f => prefix + f).ToList(),
        Context = document.Context?.WithFile(prefix + document.Context.File),
    };

    private static SourceLocation Add(string prefix, SourceLocation source) => source with { File = prefix + source.File };
}
