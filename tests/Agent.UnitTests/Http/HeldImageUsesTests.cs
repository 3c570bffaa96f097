using Agent.Core.Model;
using Agent.Http;
using Agent.Sources;

namespace Agent.UnitTests.Http;

/// <summary>While an object is held without its spec, which images it uses is not known: any image could be one.</summary>
public sealed class HeldImageUsesTests
{
    private static readonly ObjectKey S = new(ServiceGroup.KindName, "s");
    private static readonly ObjectKey C = new(CronJob.KindName, "nightly");

    [Fact]
    public void Nothing_is_held_when_every_object_is_known_or_not_selected()
    {
        var notSelected = new DesiredEntry(S, null, 0, []) { NotSelected = "placement selects other hosts" };
        using var stack = new Compose.ComposeStackFolder();
        var known = new DesiredEntry(C, stack.Project("services:\n  app: { image: busybox:1.35 }\n"), 1, []);
        Assert.Null(HeldImageUses.Of(null, 3, [notSelected, known]));
        Assert.Null(HeldImageUses.Of(null, 1, []));
    }

    [Fact]
    public void An_object_held_without_its_spec_is_named_with_its_reason()
    {
        var broken = new DesiredEntry(S, null, 0, [new Core.Manifests.ManifestError("s.yaml", 1, 1, "", "bad")]);
        var unreadable = new DesiredEntry(C, null, 0, []) { HeldReason = DesiredEntry.ManifestUnreadable };
        var held = HeldImageUses.Of(null, 2, [unreadable, broken])!;
        Assert.Equal(["CronJob/nightly", "ServiceGroup/s"], held.Objects);
        Assert.Contains("CronJob/nightly (ManifestUnreadable), ServiceGroup/s (InvalidManifest) are held without their spec", held.Why);
        Assert.Contains("which images they use is not known", held.Why);
    }

    [Fact]
    public void A_folder_that_cannot_be_read_or_was_not_read_yet_holds_every_image()
    {
        Assert.Contains("cannot be read (permission denied)", HeldImageUses.Of("permission denied", 4, [])!.Why);
        Assert.Contains("have not been read yet", HeldImageUses.Of(null, 0, [])!.Why);
    }
}
