using Agent.Admission;
using Agent.Core.Model;
using Agent.Sources;

namespace Agent.UnitTests.Security;

/// <summary>probe-15f F9: a bind source reached through a symlink inside a folder a container can write is refused at
/// every create, whatever the link points to; links outside such folders (the host's own) are followed as before.</summary>
public sealed class WritableLinksTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("writable-links-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static ContainerSpec Binds(params MountSpec[] mounts) => new() { Image = "busybox:1.35", Mounts = mounts };

    private string? Problem(ContainerSpec spec, params string[] writable) => WritableLinks.Problem(spec, writable, ManifestFolder.Resolve);

    [Fact]
    public void A_nested_bind_the_container_swapped_for_a_link_is_refused_naming_the_link_and_the_folder()
    {
        Directory.CreateDirectory(Path.Combine(root, "ndata"));
        Directory.CreateDirectory(Path.Combine(root, "sec"));
        var spec = Binds(new MountSpec(MountType.Bind, $"{root}/ndata", "/data"), new MountSpec(MountType.Bind, $"{root}/ndata/cache", "/cache"));
        Directory.CreateDirectory(Path.Combine(root, "ndata", "cache"));
        Assert.Null(Problem(spec));

        Directory.Delete(Path.Combine(root, "ndata", "cache"));
        File.CreateSymbolicLink(Path.Combine(root, "ndata", "cache"), "../sec");
        var problem = Problem(spec);
        Assert.NotNull(problem);
        Assert.Contains($"{root}/ndata/cache at /cache goes through {root}/ndata/cache, a symlink inside {root}/ndata", problem);
        Assert.Contains(BindMountGuard.Reason, problem);
    }

    [Fact]
    public void A_link_inside_a_folder_another_container_writes_is_refused_even_for_a_read_only_bind()
    {
        Directory.CreateDirectory(Path.Combine(root, "shared", "real"));
        File.CreateSymbolicLink(Path.Combine(root, "shared", "conf"), "real");
        var spec = Binds(new MountSpec(MountType.Bind, $"{root}/shared/conf", "/conf", ReadOnly: true));
        Assert.Null(Problem(spec));
        Assert.Contains($"a symlink inside {root}/shared,", Problem(spec, $"{root}/shared"));
    }

    [Fact]
    public void A_link_the_host_owns_above_every_writable_folder_is_followed_and_links_inside_link_targets_are_seen()
    {
        Directory.CreateDirectory(Path.Combine(root, "real", "data"));
        File.CreateSymbolicLink(Path.Combine(root, "srv"), "real"); // e.g. /srv -> /mnt/disk: not a container's
        var spec = Binds(new MountSpec(MountType.Bind, $"{root}/srv/data", "/data"));
        Assert.Null(Problem(spec, $"{root}/real/data"));

        File.CreateSymbolicLink(Path.Combine(root, "real", "data", "hop"), "../elsewhere");
        Directory.CreateDirectory(Path.Combine(root, "real", "elsewhere"));
        File.CreateSymbolicLink(Path.Combine(root, "entry"), "srv/data/hop");
        Assert.Equal([$"{root}/entry", $"{root}/srv", $"{root}/real/data/hop"], WritableLinks.LinksOn($"{root}/entry").ToList());
        Assert.Contains($"goes through {root}/real/data/hop, a symlink inside {root}/real/data",
            Problem(Binds(new MountSpec(MountType.Bind, $"{root}/entry", "/e", ReadOnly: true)), $"{root}/real/data"));
    }
}
