using Agent.Http;

namespace Agent.UnitTests.Http;

/// <summary>Execs running at once are bounded per client and in all; a slot is given back when its exec ends (probe-15d H7).</summary>
public sealed class ExecSlotsTests
{
    [Fact]
    public void A_client_at_its_bound_is_refused_until_one_of_its_execs_ends_and_others_are_not()
    {
        var slots = new ExecSlots(perClient: 2, total: 10);
        var first = slots.TryTake("principal:a", out _);
        using var second = slots.TryTake("principal:a", out _);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(slots.TryTake("principal:a", out var why));
        Assert.Equal("2 exec(s) of this client are running (Agent:Exec:MaxConcurrentPerClient is 2)", why);
        using var other = slots.TryTake("principal:b", out _);
        Assert.NotNull(other);

        first!.Dispose();
        first.Dispose();                                         // twice gives back one slot only
        using var again = slots.TryTake("principal:a", out _);
        Assert.NotNull(again);
        Assert.Null(slots.TryTake("principal:a", out _));
    }

    [Fact]
    public void The_agent_wide_bound_holds_across_clients()
    {
        var slots = new ExecSlots(perClient: 4, total: 3);
        var taken = new[] { "a", "b", "c" }.Select(c => slots.TryTake(c, out _)).ToList();
        Assert.All(taken, Assert.NotNull);
        Assert.Null(slots.TryTake("d", out var why));
        Assert.Equal("3 exec(s) are running on this agent (Agent:Exec:MaxConcurrent is 3)", why);
        taken[1]!.Dispose();
        Assert.NotNull(slots.TryTake("d", out _));
    }
}
