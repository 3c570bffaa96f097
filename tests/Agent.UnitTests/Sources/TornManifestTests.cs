using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Sources;
using Agent.Sources;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Sources;

/// <summary>A manifest caught mid-write (shorter than at the last good read, ending without a line end or in a key with
/// no value) that changes a running service holds the object for Agent:PruneDelay; a complete edit applies at once.</summary>
public sealed class TornManifestTests() : ManifestFolderTestBase("torn")
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));
    private static readonly ObjectKey G = new(ServiceGroup.KindName, "g");
    private static readonly ObjectKey Stack = new(ServiceGroup.ComposeKindName, "stk");

    private const string Full = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n" +
                                "    - name: web\n      image: busybox:1.35\n      replicas: 10\n      env: { MODE: full }\n" +
                                "    - name: db\n      image: busybox:1.35\n";

    private ManifestStore Started(string name, string text, ObjectKey key)
    {
        Write(name, text);
        var store = NewStore(clock: clock, options: Options(TimeSpan.FromSeconds(5)));
        store.Reload();
        Assert.False(store.Get(key)!.IsBroken);
        return store;
    }

    private static ServiceSpec Web(ManifestStore store, ObjectKey key) => ((ServiceGroup)store.Get(key)!.Object!).Spec.Services[0];

    [Theory]
    [InlineData("a: 1\nb: 2", false, false)]
    [InlineData("a: 1\nb:\n", true, true)]
    [InlineData("a: 1\n  - \n", true, true)]
    [InlineData("a: |\n", true, true)]
    [InlineData("a: [1,\n", true, true)]
    [InlineData("a: \"x:\"\n# trailing comment:\n", true, false)]
    [InlineData("image: busybox:1.35\r\n", true, false)]
    public void The_shape_says_whether_the_file_ends_terminated_and_whether_its_last_line_opens_a_block(string text, bool terminated, bool open)
    {
        var shape = ManifestShape.Of(text);
        Assert.Equal((terminated, open), (shape.Terminated, shape.EndsOpen));
    }

    private static string CutAfter(string text, string through) => text[..(text.IndexOf(through, StringComparison.Ordinal) + through.Length)];

    [Fact]
    public void Only_a_shorter_file_that_ends_unterminated_open_or_at_a_line_end_of_the_last_good_text_looks_torn()
    {
        Assert.True(TornManifest.LooksTorn(CutAfter(Full, "replicas: 1"), Full));                   // cut mid-line
        Assert.True(TornManifest.LooksTorn(CutAfter(Full, "replicas: 10\n"), Full));                // the same text, cut at a line end
        Assert.True(TornManifest.LooksTorn(CutAfter(Full, "image: busybox:1.35\n") + "      env:\n", Full)); // cut after a key
        Assert.False(TornManifest.LooksTorn(Full.Replace("replicas: 10\n      env: { MODE: full }\n", "replicas: 1\n"), Full)); // an edit
        Assert.False(TornManifest.LooksTorn(Full.TrimEnd('\n'), Full));                              // only the last line end dropped
        Assert.False(TornManifest.LooksTorn(Full + "x", Full));                                       // longer
        Assert.False(TornManifest.LooksTorn("", Full));                                               // empty: held as an empty file is
    }

    [Fact]
    public void A_cut_that_lowers_replicas_and_drops_fields_holds_the_last_good_spec_until_the_delay_then_applies()
    {
        var store = Started("g.yaml", Full, G);
        var generation = store.Get(G)!.Generation;

        Write("g.yaml", CutAfter(Full, "replicas: 1"));            // replicas: 10 half written, env and db not yet
        store.Reload();
        var held = store.Get(G)!;
        Assert.True(held.IsBroken);
        Assert.Equal(Hold.PrunePending, held.HeldReason);
        Assert.Equal(10, Web(store, G).Replicas);
        var error = Assert.Single(held.Errors);
        Assert.Equal("g.yaml", error.File);
        Assert.StartsWith("looks cut short since 12:00:00 (shorter than at the last good read and it ends without a final line end) and would change service(s) web (replicas 10 -> 1)", error.Message);

        clock.Advance(TimeSpan.FromSeconds(6));                    // still the same file after the delay: taken as written
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(1, Web(store, G).Replicas);
        Assert.Equal(generation + 1, store.Get(G)!.Generation);
    }

    [Fact]
    public void The_start_of_the_same_file_cut_at_a_line_end_holds_and_the_complete_file_written_back_changes_nothing()
    {
        var store = Started("g.yaml", Full, G);
        var generation = store.Get(G)!.Generation;

        Write("g.yaml", CutAfter(Full, "replicas: 10\n"));          // web without its env, db not written yet
        store.Reload();
        Assert.Equal(Hold.PrunePending, store.Get(G)!.HeldReason);
        Assert.Contains("where a line of the last good read ends", store.Get(G)!.Errors[0].Message);
        Assert.Equal("full", Web(store, G).Container.Env["MODE"]);

        clock.Advance(TimeSpan.FromSeconds(1));
        Write("g.yaml", Full);
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(generation, store.Get(G)!.Generation);
    }

    [Fact]
    public void A_shorter_edit_that_scales_down_and_drops_fields_waits_the_delay_and_an_edit_that_keeps_them_applies_at_once()
    {
        // Cut at a line end in the middle of an edit, a file is neither open nor the start of its last good text: what it
        // drops from a running service (probe-15n F4) is what tells. A whole edit doing the same waits the delay too.
        var store = Started("g.yaml", Full, G);
        Write("g.yaml", Full.Replace("replicas: 10\n      env: { MODE: full }\n", "replicas: 1\n"));
        store.Reload();
        Assert.Equal(Hold.PrunePending, store.Get(G)!.HeldReason);
        Assert.StartsWith("looks cut short since 12:00:00 (shorter than at the last good read and it drops fields its services have) and would change service(s) web (lost: env, replicas 10 -> 1)",
            store.Get(G)!.Errors[0].Message);
        clock.Advance(TimeSpan.FromSeconds(6));
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(1, Web(store, G).Replicas);
        Assert.Empty(Web(store, G).Container.Env);

        Write("g.yaml", Full.Replace("replicas: 10\n      env: { MODE: full }\n", "replicas: 1\n").Replace("busybox:1.35\n      replicas", "busybox:1.36\n      replicas"));
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal("busybox:1.36", Web(store, G).Container.Image);
    }

    [Fact]
    public void An_edit_cut_at_a_line_end_that_drops_a_services_mounts_healthcheck_and_update_is_held_and_the_whole_edit_applies()
    {
        const string v2 = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n" +
                          "    - name: app\n      image: busybox:1.35\n      replicas: 2\n      command: [\"sh\", \"-c\", \"echo v2; sleep 3600\"]\n" +
                          "      volumes: [\"data:/data\"]\n" +
                          "      healthcheck: { test: [\"CMD\", \"true\"], interval: 2s }\n" +
                          "      update: { strategy: start-first, rollbackOnFailure: true }\n";
        var v3 = v2.Replace("echo v2", "echo v3");
        var store = Started("g.yaml", v2, G);

        Write("g.yaml", CutAfter(v3, "echo v3; sleep 3600\"]\n"));   // the new command, nothing after it yet
        store.Reload();
        Assert.Equal(Hold.PrunePending, store.Get(G)!.HeldReason);
        Assert.Contains("app (lost: volumes, healthcheck, update)", store.Get(G)!.Errors[0].Message);
        Assert.Contains("echo v2", string.Join(" ", Web(store, G).Container.Command!));

        clock.Advance(TimeSpan.FromSeconds(2));
        Write("g.yaml", v3);
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Contains("echo v3", string.Join(" ", Web(store, G).Container.Command!));
        Assert.Equal(UpdateStrategy.StartFirst, Web(store, G).Update.Strategy);
    }

    [Fact]
    public void A_shorter_command_or_healthcheck_test_is_an_edit_and_applies_at_once()
    {
        const string before = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n" +
                              "    - name: app\n      image: busybox:1.35\n      command: [\"sh\", \"-c\", \"sleep 3600\"]\n" +
                              "      healthcheck: { test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"], interval: 2s }\n";
        var store = Started("g.yaml", before, G);
        Write("g.yaml", before.Replace("[\"sh\", \"-c\", \"sleep 3600\"]", "[\"sleep\", \"1\"]").Replace("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "[\"CMD\", \"false\"]"));
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(["sleep", "1"], Web(store, G).Container.Command!);
    }

    [Fact]
    public void A_torn_read_that_changes_no_running_service_is_not_held()
    {
        var store = Started("g.yaml", Full, G);
        Write("g.yaml", Full + "    - name: cache\n      image: busy");     // a new service, cut: nothing that runs changes
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(3, ((ServiceGroup)store.Get(G)!.Object!).Spec.Services.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_emptied_or_removed_then_written_again_in_steps_is_judged_against_the_last_good_read(bool removed)
    {
        // probe-29 F3 (HIGH): `: > f` (or `rm f`), then the first bytes of the new text (cp, cat > f): the empty or missing
        // read dropped the last good text, and the half-written one was applied: web's env and db's spec were lost.
        var store = Started("g.yaml", Full, G);
        var generation = store.Get(G)!.Generation;
        if (removed) File.Delete(Path.Combine(Root, "g.yaml"));
        else Write("g.yaml", "");
        store.Reload();
        clock.Advance(TimeSpan.FromSeconds(1));

        Write("g.yaml", CutAfter(Full, "- name: web\n      image: busybox:1")); // as a cp caught after 119 bytes
        store.Reload();
        Assert.Equal(Hold.PrunePending, store.Get(G)!.HeldReason);
        Assert.Equal("full", Web(store, G).Container.Env["MODE"]);
        Assert.Equal(2, ((ServiceGroup)store.Get(G)!.Object!).Spec.Services.Count);

        clock.Advance(TimeSpan.FromSeconds(1));
        Write("g.yaml", Full); // the writer is done
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(generation, store.Get(G)!.Generation);
    }

    [Fact]
    public void A_file_written_slower_than_the_delay_is_held_until_it_has_not_changed_for_the_delay()
    {
        // probe-30 F4 (HIGH): emptied, then written a line every 0.6 s for 14 s: each step after the first 5 s was applied
        // (web replaced three times, twice running the image's default command). The delay runs from the last change.
        const string slow = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n" +
                            "    - name: web\n      image: busybox:1.35\n      replicas: 10\n      command: [\"sleep\", \"3600\"]\n" +
                            "      stopSignal: SIGKILL\n      env:\n        MODE: full\n        X: \"2\"\n" +
                            "    - name: db\n      image: busybox:1.35\n";
        var store = Started("g.yaml", slow, G);
        var generation = store.Get(G)!.Generation;
        Write("g.yaml", "");
        store.Reload();
        var lines = slow.Split('\n');
        for (var n = 7; n <= 12; n++) // web's lines: until its last one is written, web lacks fields it runs with
        {
            clock.Advance(TimeSpan.FromSeconds(2)); // 2 s a line: 12 s in all, past the 5 s delay
            Write("g.yaml", string.Join('\n', lines.Take(n)) + "\n");
            store.Reload();
            Assert.True(store.Get(G)!.IsBroken, $"step {n} applied: {string.Join('|', lines.Take(n))}");
            Assert.Equal("full", Web(store, G).Container.Env["MODE"]);
            Assert.Equal(10, Web(store, G).Replicas);
        }
        clock.Advance(TimeSpan.FromSeconds(2));
        Write("g.yaml", slow); // the writer is done
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(generation, store.Get(G)!.Generation);

        // A cut that stays as it is is still taken as written after the delay.
        Write("g.yaml", CutAfter(Full, "- name: web\n      image: busybox:1.35\n"));
        store.Reload();
        Assert.True(store.Get(G)!.IsBroken);
        clock.Advance(TimeSpan.FromSeconds(6));
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_removed_then_written_back_40_bytes_every_2_s_is_never_applied_half_written(bool viaEmpty)
    {
        // probe-31 F4 (HIGH): `rm f1.yaml`, then the same text written back with dd, 40 bytes every 2 s: the 120-byte prefix
        // (no command yet) was applied, then a cut command, then the whole text: the running container recreated 2-3 times.
        const string f1 = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: g\nspec:\n  services:\n" +
                          "    - name: web\n      image: busybox:1.35\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n";
        var store = Started("g.yaml", f1, G);
        var generation = store.Get(G)!.Generation;
        if (viaEmpty) Write("g.yaml", "");
        else File.Delete(Path.Combine(Root, "g.yaml"));
        store.Reload();
        clock.Advance(TimeSpan.FromSeconds(1));
        for (var end = 40; end < f1.Length; end += 40)
        {
            Write("g.yaml", f1[..end]);
            store.Reload();
            if (store.Get(G) is not { Object: not null } entry) continue; // removed or broken: nothing to apply, its prune waits
            Assert.True(entry.Generation == generation, $"{end} bytes applied as generation {entry.Generation}");
            Assert.True(Web(store, G).Container.Command is ["sleep", "3600"], $"{end} bytes applied: {Web(store, G).Container.Command?.Count} {entry.IsBroken} {entry.HeldReason}");
            clock.Advance(TimeSpan.FromSeconds(2));
        }
        Write("g.yaml", f1);
        store.Reload();
        Assert.False(store.Get(G)!.IsBroken);
        Assert.Equal(generation, store.Get(G)!.Generation);
    }

    [Fact]
    public void A_compose_file_cut_mid_write_holds_the_project_too()
    {
        const string compose = "services:\n  app:\n    image: busybox:1.35\n    environment:\n      MODE: full\n  db:\n    image: busybox:1.35\n";
        var store = Started("stk/compose.yaml", compose, Stack);
        Write("stk/compose.yaml", CutAfter(compose, "image: busybox:1.35\n"));
        store.Reload();
        Assert.Equal(Hold.PrunePending, store.Get(Stack)!.HeldReason);
        Assert.Equal("stk/compose.yaml", store.Get(Stack)!.Errors[0].File);
        Assert.Equal("full", Web(store, Stack).Container.Env["MODE"]);
    }
}
