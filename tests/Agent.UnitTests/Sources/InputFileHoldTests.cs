using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Core.Sources;
using Agent.Hosting;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Sources;

/// <summary>An env file emptied or removed while it is rewritten holds its object at the last good spec for
/// Agent:PruneDelay instead of changing it twice (probe-15d H3).</summary>
public sealed class InputFileHoldTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-input-hold-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-input-hold-state-");
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));
    private static readonly ObjectKey Group = new(ServiceGroup.KindName, "g");
    private static readonly ObjectKey Stack = new(ServiceGroup.ComposeKindName, "stk");

    public void Dispose()
    {
        dir.Delete(recursive: true);
        state.Delete(recursive: true);
    }

    private string Abs(string name) => Path.Combine(dir.FullName, name);

    private void Write(string name, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Abs(name))!);
        File.WriteAllText(Abs(name), text);
    }

    private ManifestStore Store() =>
        new(new ManifestFolder(dir.FullName), SecurityPolicy.Default, new ManifestIndex(state.FullName), clock, NullLogger<ManifestStore>.Instance,
            options: Options.Create(new AgentOptions { PruneDelay = TimeSpan.FromSeconds(5) }));

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

    [Fact]
    public void The_decision_holds_only_files_that_had_content_and_only_for_the_delay()
    {
        var since = new Dictionary<string, DateTimeOffset>();
        var now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");
        var states = new Dictionary<string, InputFileState> { ["/m/a.env"] = InputFileState.Empty, ["/m/b.env"] = InputFileState.Missing, ["/m/c.env"] = InputFileState.Empty };
        var hadContent = new HashSet<string> { "/m/a.env", "/m/b.env" };   // c.env was empty already: taken as written
        var delay = TimeSpan.FromSeconds(5);

        var held = InputFileHold.Decide(states.Keys, f => states[f], hadContent, since, now, delay);
        Assert.Equal(["/m/a.env", "/m/b.env"], held.Select(h => h.Path));
        Assert.Equal(InputFileState.Missing, held[1].State);

        Assert.Equal(2, InputFileHold.Decide(states.Keys, f => states[f], hadContent, since, now.AddSeconds(4), delay).Count);
        Assert.Empty(InputFileHold.Decide(states.Keys, f => states[f], hadContent, since, now.AddSeconds(5), delay));
        Assert.Empty(InputFileHold.Decide(states.Keys, f => states[f], hadContent, new Dictionary<string, DateTimeOffset>(), now, TimeSpan.Zero));
    }
}
