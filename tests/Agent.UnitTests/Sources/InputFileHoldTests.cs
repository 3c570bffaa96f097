using Agent.Core.Model;
using Agent.Core.Sources;
using Agent.Sources;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Sources;

/// <summary>An env file emptied or removed while it is rewritten holds its object at the last good spec for
/// Agent:PruneDelay instead of changing it twice (probe-15d H3).</summary>
public sealed class InputFileHoldTests() : ManifestFolderTestBase("input-hold")
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));
    private static readonly ObjectKey Group = new(ServiceGroup.KindName, "g");
    private static readonly ObjectKey Stack = new(ServiceGroup.ComposeKindName, "stk");

    private string Abs(string name) => Path.Combine(Root, name);

    private ManifestStore Store() => NewStore(clock: clock, options: Options(TimeSpan.FromSeconds(5)));

    private static string Env(ManifestStore store, ObjectKey key, string name) =>
        ((ServiceGroup)store.Get(key)!.Object!).Spec.Services[0].Container.Env.GetValueOrDefault(name) ?? "(unset)";

    private ManifestStore Started()
    {
        Write("g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      envFrom: [app.env]\n");
        Write("app.env", "DB_PASSWORD=s3cr3t\n");
        Write("stk/compose.yaml", "services:\n  app: { image: \"busybox:${TAG:-latest}\" }\n");
        Write("stk/.env", "TAG=1.35\n");
        var store = Store();
        store.Reload();
        Assert.False(store.Get(Group)!.IsBroken);
        Assert.Equal("s3cr3t", Env(store, Group, "DB_PASSWORD"));
        return store;
    }

    [Fact]
    public void An_env_file_emptied_and_written_back_within_the_delay_never_changes_the_object()
    {
        var store = Started();
        var generation = store.Get(Stack)!.Generation;

        File.WriteAllText(Abs("app.env"), "");
        File.WriteAllText(Abs("stk/.env"), "");
        store.Reload();
        var held = store.Get(Group)!;
        Assert.True(held.IsBroken);
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.Equal("s3cr3t", Env(store, Group, "DB_PASSWORD"));                    // the last good spec
        Assert.Contains(held.Errors, e => e.File == "app.env" && e.Message.StartsWith("is empty since 12:00:00") && e.Message.Contains("Agent:PruneDelay"));
        Assert.Equal("busybox:1.35", ((ServiceGroup)store.Get(Stack)!.Object!).Spec.Services[0].Container.Image);
        Assert.Contains(store.Get(Stack)!.Errors, e => e.File == "stk/.env");
        Assert.DoesNotContain(held.Errors, e => e.Message.Contains("s3cr3t"));

        clock.Advance(TimeSpan.FromSeconds(3));
        Write("app.env", "DB_PASSWORD=s3cr3t\n");
        Write("stk/.env", "TAG=1.35\n");
        store.Reload();
        Assert.False(store.Get(Group)!.IsBroken);
        Assert.False(store.Get(Stack)!.IsBroken);
        Assert.Equal(generation, store.Get(Stack)!.Generation);                      // nothing to apply
    }

    [Fact]
    public void A_removed_dot_env_holds_too_and_after_the_delay_the_files_are_taken_as_written()
    {
        var store = Started();
        File.Delete(Abs("stk/.env"));
        File.WriteAllText(Abs("app.env"), "");
        store.Reload();
        Assert.Contains(store.Get(Stack)!.Errors, e => e.File == "stk/.env" && e.Message.StartsWith("is missing since"));
        Assert.Equal("busybox:1.35", ((ServiceGroup)store.Get(Stack)!.Object!).Spec.Services[0].Container.Image);

        clock.Advance(TimeSpan.FromSeconds(6));
        store.Reload();
        Assert.False(store.Get(Group)!.IsBroken);
        Assert.Equal("(unset)", Env(store, Group, "DB_PASSWORD"));                    // the empty file, as written
        Assert.Equal("busybox:latest", ((ServiceGroup)store.Get(Stack)!.Object!).Spec.Services[0].Container.Image);
    }

    [Theory]
    [InlineData("app.env", "   \n\t\n", "defines no variable")]                        // whitespace only
    [InlineData("app.env", "# being rewritten\n", "defines no variable")]               // comments only
    [InlineData("app.env", "A=1\nDB_PASS", "ends in an unterminated line")]             // cut mid-line: a bare key
    [InlineData("app.env", "A=1\nDB_PASSWORD=s3c", "ends in an unterminated line")]     // cut inside the value
    [InlineData("stk/.env", "# TAG comes later\n  \n", "defines no variable")]          // compose .env
    public void A_file_that_defines_nothing_or_was_cut_mid_line_holds_like_an_empty_one(string file, string text, string why)
    {
        var store = Started();
        Write("app.env", "A=1\nDB_PASSWORD=s3cr3t\n");
        store.Reload();
        var key = file == "app.env" ? Group : Stack;
        var generation = store.Get(key)!.Generation;

        Write(file, text);
        store.Reload();
        var held = store.Get(key)!;
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.Contains(held.Errors, e => e.File == file && e.Message.StartsWith(why + (why.StartsWith("ends") ? "" : " (only whitespace or comments) since 12:00:00")));
        Assert.DoesNotContain(held.Errors, e => e.Message.Contains("s3c"));
        if (key == Group) Assert.Equal("s3cr3t", Env(store, Group, "DB_PASSWORD"));
        else Assert.Equal("busybox:1.35", ((ServiceGroup)store.Get(Stack)!.Object!).Spec.Services[0].Container.Image);

        clock.Advance(TimeSpan.FromSeconds(6));                                         // past Agent:PruneDelay: as written
        store.Reload();
        Assert.False(store.Get(key)!.IsBroken);
        Assert.Equal(generation + 1, store.Get(key)!.Generation);
    }

    [Fact]
    public void The_decision_holds_only_files_that_had_content_and_only_for_the_delay()
    {
        var since = new Dictionary<string, DateTimeOffset>();
        var now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");
        var good = InputFileShape.Of("A=1\nB=2\n", 8);
        var states = new Dictionary<string, InputFileShape> { ["/m/a.env"] = InputFileShape.Of("", 0), ["/m/b.env"] = InputFileShape.Missing, ["/m/c.env"] = InputFileShape.Of("", 0) };
        var lastGood = new Dictionary<string, InputFileShape> { ["/m/a.env"] = good, ["/m/b.env"] = good };   // c.env was empty already: taken as written
        var delay = TimeSpan.FromSeconds(5);

        var held = InputFileHold.Decide(states.Keys, f => states[f], lastGood, since, now, delay);
        Assert.Equal(["/m/a.env", "/m/b.env"], held.Select(h => h.Path));
        Assert.Equal([InputFileState.Empty, InputFileState.Missing], held.Select(h => h.State));

        Assert.Equal(2, InputFileHold.Decide(states.Keys, f => states[f], lastGood, since, now.AddSeconds(4), delay).Count);
        Assert.Empty(InputFileHold.Decide(states.Keys, f => states[f], lastGood, since, now.AddSeconds(5), delay));
        Assert.Empty(InputFileHold.Decide(states.Keys, f => states[f], lastGood, new Dictionary<string, DateTimeOffset>(), now, TimeSpan.Zero));
    }

    [Fact]
    public void A_dot_env_emptied_and_written_again_slower_than_the_delay_applies_once_whole_and_no_step_before()
    {
        var store = Started();
        Write("stk/.env", "TAG=1.35\nPORT=80\n");
        store.Reload();
        var generation = store.Get(Stack)!.Generation;

        Write("stk/.env", "");
        store.Reload();
        foreach (var step in new[] { "# new\n", "# new\nTAG=1.36\n" })
        {
            clock.Advance(TimeSpan.FromSeconds(4)); // each step 4 s after the last: past the 5 s delay from the first hold
            Write("stk/.env", step);
            store.Reload();
            Assert.Equal(generation, store.Get(Stack)!.Generation);
            Assert.Equal("busybox:1.35", ((ServiceGroup)store.Get(Stack)!.Object!).Spec.Services[0].Container.Image);
            Assert.Contains(store.Get(Stack)!.Errors, e => e.File == "stk/.env");
        }
        clock.Advance(TimeSpan.FromSeconds(4));
        Write("stk/.env", "# new\nTAG=1.36\nPORT=80\n");
        store.Reload();
        Assert.False(store.Get(Stack)!.IsBroken);
        Assert.Equal("busybox:1.36", ((ServiceGroup)store.Get(Stack)!.Object!).Spec.Services[0].Container.Image);
        Assert.Equal(generation + 1, store.Get(Stack)!.Generation); // once
    }

    [Fact]
    public void A_file_emptied_then_written_again_a_line_at_a_time_stays_held_until_whole_or_quiet_for_the_delay()
    {
        // A compose project's .env emptied and written again slowly (a line every 2 s, slower than the delay): each
        // whole-line step was taken as written and applied, the project recreated at every step.
        var (since, seen) = (new Dictionary<string, DateTimeOffset>(), new Dictionary<string, InputFileHold.Seen>());
        var now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");
        var lastGood = new Dictionary<string, InputFileShape> { ["/m/.env"] = InputFileShape.Of("A=1\nB=2\nC=3\n", 12) };
        var delay = TimeSpan.FromSeconds(5);
        IReadOnlyList<InputFileHold.Held> At(int seconds, string text) =>
            InputFileHold.Decide(["/m/.env"], _ => InputFileShape.Of(text, text.Length), lastGood, since, now.AddSeconds(seconds), delay, seen, TimeSpan.FromMinutes(1));

        Assert.Equal(InputFileState.Empty, Assert.Single(At(0, "")).State);
        Assert.Equal(InputFileState.Growing, Assert.Single(At(4, "A=9\n")).State);
        Assert.Equal(InputFileState.Growing, Assert.Single(At(8, "A=9\nB=9\n")).State); // 8 s after the first hold: each change restarts the delay
        Assert.Empty(At(9, "A=9\nB=9\nC=9\n"));                                          // whole again: as written at once

        since.Clear();
        seen.Clear();
        Assert.Single(At(20, ""));
        Assert.Single(At(22, "A=9\n"));
        Assert.Single(At(26, "A=9\n"));                                                    // unchanged for 4 s
        Assert.Empty(At(27, "A=9\n"));                                                     // quiet for the delay: a file that lost variables for good

        Assert.Empty(InputFileHold.Decide(["/m/.env"], _ => InputFileShape.Of("A=9\n", 4), lastGood, new Dictionary<string, DateTimeOffset>(), now, delay,
            new Dictionary<string, InputFileHold.Seen>())); // never held: an edit that removes variables applies at once
    }

    [Theory]
    [InlineData("A=1\n", InputFileState.Written)]                         // a variable removed, the file whole: an edit
    [InlineData("A=1\nB=2", InputFileState.Written)]                      // no line end at the end, but nothing lost
    [InlineData("A=1\nB=2\nC=3", InputFileState.Written)]                 // longer, more variables: a new file
    [InlineData("A=1\nB=", InputFileState.CutShort)]                       // cut after the '=': shorter
    [InlineData("A=1\nB", InputFileState.CutShort)]                        // a bare key: fewer variables
    [InlineData("#A=1\n\n", InputFileState.DefinesNothing)]
    [InlineData("\uFEFF \r\n", InputFileState.DefinesNothing)]
    public void Judge_tells_a_write_in_progress_from_an_edit(string text, InputFileState expected) =>
        Assert.Equal(expected, InputFileHold.Judge(InputFileShape.Of(text, System.Text.Encoding.UTF8.GetByteCount(text)), InputFileShape.Of("A=1\nB=2\n", 8)));
}
