using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Compose;

/// <summary>A temporary manifests folder holding one stack folder "shop" with one compose.yaml, loaded as the agent does.</summary>
internal sealed class ComposeStackFolder : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-compose-stack-");

    public void Dispose() => dir.Delete(recursive: true);

    /// <summary>Writes a file beside the stack (<c>shop/.env</c>).</summary>
    public void Write(string file, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir.FullName, file))!);
        File.WriteAllText(Path.Combine(dir.FullName, file), text);
    }

    public ManifestSet Load(string compose)
    {
        Directory.CreateDirectory(Path.Combine(dir.FullName, "shop"));
        File.WriteAllText(Path.Combine(dir.FullName, "shop", "compose.yaml"), compose);
        return Load();
    }

    /// <summary>The folder as it is (the files <see cref="Write"/> wrote).</summary>
    public ManifestSet Load() => new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);

    /// <summary>The project "shop", asserting the file loads without errors.</summary>
    public ServiceGroup Project(string compose)
    {
        var set = Load(compose);
        Assert.Empty(set.Errors.Select(e => e.ToString()));
        return Assert.IsType<ServiceGroup>(set.Objects.Values.Single());
    }

    public string[] Errors(string compose) => Load(compose).Errors.Select(e => e.ToString()).ToArray();
}
