using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Security;

namespace Agent.UnitTests.Security;

public sealed class BindPinningTests
{
    private static ContainerSpec Spec(params MountSpec[] mounts) => new() { Image = "busybox:1.35", Mounts = mounts };

    [Fact]
    public void Bind_sources_are_sent_as_resolved_volumes_and_tmpfs_as_written()
    {
        var spec = Spec(new MountSpec(MountType.Bind, "/srv/app/./data/", "/data"), new MountSpec(MountType.Volume, "cache", "/cache"),
            new MountSpec(MountType.Tmpfs, null, "/tmp"));
        var pinned = BindPinning.Pin(spec, path => path == "/srv/app/data" ? "/mnt/disk/data" : path);
        Assert.Equal(["/mnt/disk/data", "cache", null], pinned.Mounts.Select(m => m.Source));
        Assert.Equal(spec.Mounts.Select(m => m.Target), pinned.Mounts.Select(m => m.Target));
    }

    [Fact]
    public void A_bind_without_links_is_sent_exactly_as_before_so_its_hash_and_request_do_not_change()
    {
        var spec = Spec(new MountSpec(MountType.Bind, "/srv/data", "/data", ReadOnly: true));
        var pinned = BindPinning.Pin(spec, path => path);
        Assert.Equal(spec.Mounts, pinned.Mounts);
        Assert.Equal(SpecHash.Of(spec), SpecHash.Of(pinned));
    }

    [Fact]
    public void The_policy_and_the_pinned_spec_see_one_answer_even_when_the_link_changes_between_them()
    {
        var answers = new Queue<string>(["/srv/safe", "/etc"]);
        var once = BindPinning.Once(_ => answers.Dequeue());
        Assert.Equal("/srv/safe", once("/srv/link"));
        Assert.Equal("/srv/safe", BindPinning.Pin(Spec(new MountSpec(MountType.Bind, "/srv/link", "/x")), once).Mounts[0].Source);
    }
}
