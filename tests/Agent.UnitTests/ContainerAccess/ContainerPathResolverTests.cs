using Agent.Core.Files;

namespace Agent.UnitTests.ContainerAccess;

public sealed class ContainerPathResolverTests
{
    private static async Task<string?> Resolve(string path, Dictionary<string, string> links)
    {
        Assert.True(ContainerPath.TryParse(path, out var p, out _));
        var resolved = await ContainerPathResolver.ResolveFoldersAsync(p, (candidate, _) => Task.FromResult(links.GetValueOrDefault(candidate.Value)), CancellationToken.None);
        return resolved?.Value;
    }

    [Fact]
    public async Task Folder_links_are_followed_inside_the_container_and_the_last_segment_never()
    {
        var links = new Dictionary<string, string>
        {
            ["/tmp/shm"] = "/dev/shm",
            ["/tmp/up"] = "../../../../etc",
            ["/tmp/rel"] = "sub/../other",
            ["/tmp/other"] = "/scratch",
            ["/tmp/last"] = "/etc/passwd",
        };
        Assert.Equal("/dev/shm/newdir", await Resolve("/tmp/shm/newdir", links));
        Assert.Equal("/etc/hosts", await Resolve("/tmp/up/hosts", links));
        Assert.Equal("/scratch/f", await Resolve("/tmp/rel/f", links));
        Assert.Equal("/tmp/last", await Resolve("/tmp/last", links));
        Assert.Equal("/srv/a/b", await Resolve("/srv/a/b", links));
        Assert.Equal("/x", await Resolve("/x", links));
    }

    [Fact]
    public async Task A_loop_of_links_gives_up_after_the_kernels_limit()
    {
        var links = new Dictionary<string, string> { ["/a"] = "/b", ["/b"] = "/a" };
        Assert.Null(await Resolve("/a/f", links));
    }
}
