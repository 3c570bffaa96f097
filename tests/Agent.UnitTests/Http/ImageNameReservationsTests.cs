using Agent.Http;

namespace Agent.UnitTests.Http;

public sealed class ImageNameReservationsTests
{
    [Fact]
    public void A_name_is_held_once_whatever_its_spelling_until_released()
    {
        var reservations = new ImageNameReservations();
        var held = reservations.TryReserve("busybox", "being built by task abc");
        Assert.NotNull(held);

        Assert.Null(reservations.TryReserve("docker.io/library/busybox:latest", "x"));
        Assert.Null(reservations.TryReserve("busybox:latest", "x"));
        Assert.Equal("busybox:latest is being built by task abc: wait for it to end, then try again", reservations.Refusal("busybox:latest"));
        Assert.NotNull(reservations.TryReserve("busybox:1.35", "x"));

        held.Dispose();
        Assert.Null(reservations.Refusal("busybox"));
        using var again = reservations.TryReserve("busybox", "y");
        Assert.NotNull(again);
        held.Dispose(); // a second release leaves the new holder's reservation alone
        Assert.NotNull(reservations.Refusal("busybox"));
    }
}
