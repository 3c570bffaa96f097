using Agent.Sources;

namespace Agent.UnitTests.Build;

/// <summary>The stamp that makes the manifests reload when a build context changes where the folder read does not look.</summary>
public sealed class BuildContextStampTests : IDisposable
{
    private readonly DirectoryInfo context = Directory.CreateTempSubdirectory("agent-stamp-");

    public void Dispose() => context.Delete(recursive: true);

    private void Write(string file, string text, DateTime written)
    {
        var path = Path.Combine(context.FullName, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, written);
    }

    [Fact]
    public void A_hidden_file_or_a_nested_file_changes_the_stamp_and_nothing_else_does()
    {
        var settled = DateTime.UtcNow.AddMinutes(-5);
        Write("Dockerfile", "FROM busybox:1.35\n", settled);
        Write(".dockerignore", "*.log\n", settled);
        Write("src/app.txt", "one", settled);
        string[] contexts = [context.FullName];
        var stamp = BuildContextStamp.Of(contexts);
        Assert.Equal(stamp, BuildContextStamp.Of(contexts));

        Write(".dockerignore", "*.log\n*.tmp\n", settled);
        var afterIgnore = BuildContextStamp.Of(contexts);
        Assert.NotEqual(stamp, afterIgnore);
        Write("src/app.txt", "two", settled.AddSeconds(1));
        Assert.NotEqual(afterIgnore, BuildContextStamp.Of(contexts));
        Assert.Equal("", BuildContextStamp.Of([]));
    }
}
