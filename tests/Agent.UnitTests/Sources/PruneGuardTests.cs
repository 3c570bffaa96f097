using Agent.Core.Model;
using Agent.Core.Sources;

namespace Agent.UnitTests.Sources;

public sealed class PruneGuardTests
{
    private static ObjectKey[] Keys(int n) => Enumerable.Range(1, n).Select(i => new ObjectKey("ServiceGroup", $"g{i}")).ToArray();

    [Theory]
    [InlineData(4, 2, false)] // exactly half: allowed
    [InlineData(4, 3, true)]  // more than half
    [InlineData(1, 1, false)] // one object is below the minimum of two
    [InlineData(2, 2, true)]  // an empty folder with two groups
    [InlineData(2, 1, false)]
    [InlineData(10, 0, false)]
    public void A_read_is_held_when_it_removes_more_than_the_share_and_at_least_the_minimum(int managed, int removed, bool blocked)
    {
        var decision = PruneGuard.Default.Decide(managed, Keys(removed));
        Assert.Equal(blocked, decision.Blocked);
        Assert.Equal(removed, decision.Removals.Count);
        if (blocked) Assert.Contains($"would remove {removed} of {managed} managed objects (more than 50%): ServiceGroup/g1", decision.Message);
        else Assert.Empty(decision.Message);
    }

    [Theory]
    [InlineData("50%", 0.5)]
    [InlineData("0.25", 0.25)]
    [InlineData("10 %", 0.1)]
    [InlineData("off", 1.0)]
    [InlineData("", 0.5)]
    public void The_share_is_a_percentage_or_a_fraction(string text, double expected) =>
        Assert.Equal(expected, PruneGuard.Parse(text).Fraction, 6);

    [Theory]
    [InlineData("150%")]
    [InlineData("2")]
    [InlineData("half")]
    public void A_share_that_is_not_one_is_refused_with_the_setting_named(string text) =>
        Assert.Contains("Agent:PruneGuard", Assert.Throws<ArgumentException>(() => PruneGuard.Parse(text)).Message);

    [Fact]
    public void Held_removals_still_missing_stay_held_whatever_their_share_and_others_are_judged_as_usual()
    {
        var keys = Keys(4);
        var held = keys.ToHashSet(); // all four were held
        var partial = PruneGuard.Default.Decide(4, keys[2..], held); // two restored: 2 of 4 is within the guard
        Assert.True(partial.Blocked);
        Assert.Equal(keys[2..], partial.Removals);
        Assert.Contains("held since an earlier read are still missing", partial.Message);

        Assert.False(PruneGuard.Default.Decide(4, [], held).Blocked); // all back
        var unrelated = PruneGuard.Default.Decide(10, [new ObjectKey("ServiceGroup", "other")], held); // a deletion never held
        Assert.False(unrelated.Blocked);
        Assert.Contains("would remove 4 of 4", PruneGuard.Default.Decide(4, keys, held).Message); // the share trips again
        Assert.False(PruneGuard.Parse("off").Decide(4, keys[2..], held).Blocked);
    }

    [Fact]
    public void Off_never_blocks() => Assert.False(PruneGuard.Parse("off").Decide(5, Keys(5)).Blocked);

    [Fact]
    public void The_minimum_is_configurable() => Assert.True(PruneGuard.Parse("50%", minimum: 1).Decide(1, Keys(1)).Blocked);

    [Fact]
    public void A_problem_covers_its_file_and_what_lies_under_a_folder()
    {
        var folder = new SourceProblem("apps", SourceProblemReasons.DanglingLink, "dangling");
        Assert.True(folder.Covers("apps"));
        Assert.True(folder.Covers("apps/web.yaml"));
        Assert.False(folder.Covers("apps2/web.yaml"));
    }
}
