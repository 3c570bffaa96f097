using Agent.Core.Manifests;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Manifests;

/// <summary>Loads one corpus file on its own, from a folder of its own, as `agent validate` would.</summary>
internal static class CorpusCase
{
    public static string Folder(string kind) => Path.Combine(AppContext.BaseDirectory, "Corpus", kind);

    public static IEnumerable<object[]> Files(string kind) =>
        Directory.GetFiles(Folder(kind), "*.yaml").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    public static IReadOnlyList<string> Expected(string kind, string file) =>
        File.ReadAllLines(Path.Combine(Folder(kind), "expected.txt")).Where(l => l.StartsWith(file + ":", StringComparison.Ordinal)).ToList();

    public static ManifestSet Load(string kind, string file, SecurityPolicy? policy = null)
    {
        var dir = Directory.CreateTempSubdirectory("agent-corpus-");
        try
        {
            File.Copy(Path.Combine(Folder(kind), file), Path.Combine(dir.FullName, file));
            return new ManifestFolder(dir.FullName).Load(policy ?? SecurityPolicy.Default);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
