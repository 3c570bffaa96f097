using Agent.Core.Planning;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources;

/// <summary>Files caught while they are written never take down or recreate what runs: a manifest that lists fewer
/// services (probe-15d H14) and an env file that is empty or defines nothing (probe-15d H3, probe-15e E2) wait out
/// Agent:PruneDelay (2 s here) before they are taken as written. The docker CLI says which container runs.</summary>
public sealed class HalfWrittenInputTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:PruneDelay"] = "00:00:02" })
{
    private static readonly TimeSpan PastTheDelay = TimeSpan.FromSeconds(3);

    private async Task<string> IdOfAsync(string group, string service) =>
        (await Containers.OfAsync(Instance, group)).Single(c => c.Name == $"{group}-{service}-1").Id;

    [Fact]
    public async Task A_service_gone_from_a_half_written_manifest_keeps_its_container_for_the_delay_then_goes()
    {
        var g = Instance.Name("h14");
        Agent.Write("g.yaml", Group(g, Sleeper("a") + Sleeper("b")));
        await Agent.StartAsync();
        await Containers.RunningAsync(Instance, g, 2);
        var (a, b) = (await IdOfAsync(g, "a"), await IdOfAsync(g, "b"));

        Agent.Write("g.yaml", Group(g, Sleeper("a")));   // the first half of a copy
        var pending = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", Hold.PrunePending, TimeSpan.FromSeconds(30));
        Assert.Contains("service b is no longer in the manifest", pending.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Equal(b, await IdOfAsync(g, "b"));

        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).All(c => c.Name != $"{g}-b-1"), TimeSpan.FromSeconds(60), "b removed after the delay");
        Assert.Equal(a, (await Containers.RunningAsync(Instance, g, 1)).Single().Id);
    }

    /// <summary>probe-31 F15: a new manifest with metadata last, caught with its name cut short (`name: ne` of `newgroup`),
    /// made a phantom object (container and network) that was pruned 5 s later. A new object from a file that ends without
    /// a line end waits until that text has stayed unchanged for the prune delay; one that stays so is then applied.</summary>
    [Fact]
    public async Task A_new_manifest_caught_with_its_name_cut_short_makes_no_phantom_object_and_one_left_unterminated_applies_after_the_delay()
    {
        var (other, fresh, plain) = (Instance.Name("np-other"), Instance.Name("np-newgroup"), Instance.Name("np-plain"));
        Agent.Write("other.yaml", Group(other, Sleeper("s")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(other);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds();

        string Late(string name) => $"apiVersion: agent/v1\nkind: ServiceGroup\nspec:\n  services:\n{Sleeper("s")}metadata:\n  name: {name}\n";
        var full = Late(fresh);
        var cut = full[..(full.IndexOf(fresh, StringComparison.Ordinal) + fresh.Length - 5)]; // `name: t…-np-new`: no line end
        Agent.Write("fresh.yaml", cut);
        await Task.Delay(TimeSpan.FromSeconds(1)); // within the 2 s delay
        Agent.Write("fresh.yaml", full);
        await Agent.WaitReadyAsync(fresh);
        var phantom = cut[(cut.LastIndexOf(' ') + 1)..];
        var created = await DockerCli.RunAsync("events", "--since", since.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Whole seconds: now's second rounded down would leave out a create made earlier in this same second (CI).
            "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", $"label={Instance.InstanceLabel}", "--filter", "event=create", "--format", "{{.Actor.Attributes.name}}");
        Assert.DoesNotContain($"{phantom}-s-1", created.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{fresh}-s-1", created);

        Agent.Write("plain.yaml", Late(plain).TrimEnd('\n')); // written whole, without a final line end: applied after the delay
        await Agent.WaitReadyAsync(plain, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_service_spec_cut_mid_write_keeps_its_containers_and_a_complete_scale_down_applies()
    {
        var g = Instance.Name("torn");
        var full = Group(g, Sleeper("a", "      replicas: 2\n      env: { MODE: full }\n"));
        Agent.Write("g.yaml", full);
        await Agent.StartAsync();
        var before = (await Containers.RunningAsync(Instance, g, 2)).Select(c => c.Id).Order().ToList();

        Agent.Write("g.yaml", full[..(full.IndexOf("replicas: 2\n", StringComparison.Ordinal) + "replicas: 2\n".Length)]);  // env not written yet
        var held = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", Hold.PrunePending, TimeSpan.FromSeconds(30));
        Assert.Contains("looks cut short", held.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Equal(before, (await Containers.RunningAsync(Instance, g, 2)).Select(c => c.Id).Order());

        Agent.Write("g.yaml", full);
        await Agent.WaitReadyAsync(g);
        await Task.Delay(PastTheDelay);
        Assert.Equal(before, (await Containers.RunningAsync(Instance, g, 2)).Select(c => c.Id).Order());

        Agent.Write("g.yaml", full.Replace("replicas: 2", "replicas: 1"));   // a complete edit
        var kept = (await Containers.RunningAsync(Instance, g, 1)).Single();
        Assert.Equal($"{g}-a-1", kept.Name);
        Assert.Contains("MODE=full", await DockerCli.InspectAsync(kept.Id, "{{json .Config.Env}}"));
    }

    [Theory]
    [InlineData("")]                               // emptied (`: > app.env`)
    [InlineData("  \n# being rewritten\n")]        // whitespace and a comment: defines nothing
    [InlineData("A=1\nSEC")]                       // a write cut mid-line
    public async Task An_env_file_caught_while_it_is_rewritten_and_then_restored_keeps_the_container(string rewriting)
    {
        var g = Instance.Name("h3");
        Agent.Write("app.env", "A=1\nSECRET=s3cr3t\n");
        Agent.Write("g.yaml", Group(g, Sleeper("a", "      envFrom: [app.env]\n")));
        await Agent.StartAsync();
        await Containers.RunningAsync(Instance, g, 1);
        var before = await IdOfAsync(g, "a");

        Agent.Write("app.env", rewriting);
        var held = await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "ManifestUnreadable", TimeSpan.FromSeconds(30));
        Assert.Contains("app.env", held.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal(before, await IdOfAsync(g, "a"));

        Agent.Write("app.env", "A=1\nSECRET=s3cr3t\n");
        await Agent.WaitReadyAsync(g);
        await Task.Delay(PastTheDelay);              // past the hold's end, when the store reads again by itself
        Assert.Equal(before, (await Containers.RunningAsync(Instance, g, 1)).Single().Id);
        Assert.Contains("SECRET=s3cr3t", await DockerCli.InspectAsync(before, "{{json .Config.Env}}"));
    }

    /// <summary>Writes <paramref name="text"/> into <paramref name="file"/> of the manifests folder in pieces, in place,
    /// as `dd conv=notrunc` does: first emptied, then <paramref name="step"/> more bytes each <paramref name="every"/>.</summary>
    private async Task WriteInPiecesAsync(string file, string text, int step, TimeSpan every)
    {
        var path = Path.Combine(Agent.Manifests, file);
        await File.WriteAllTextAsync(path, "");
        for (var at = 0; at < text.Length; at += step)
        {
            await Task.Delay(every);
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
            stream.Seek(at, SeekOrigin.Begin);
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text.Substring(at, Math.Min(step, text.Length - at))));
        }
    }

    private static Task<string> StartedAtAsync(string id) => DockerCli.InspectAsync(id, "{{.State.StartedAt}}");

    /// <summary>probe-32 F3: `rm` of a manifest, then the same text written back in pieces: its first steps (empty, then no
    /// name yet) did not hold the object, and the prune stopped the running container once the delay passed.</summary>
    [Fact]
    public async Task A_manifest_removed_and_written_back_in_pieces_stops_nothing_and_recreates_nothing()
    {
        var g = Instance.Name("rmback");
        var text = Group(g, Sleeper("a"));
        Agent.Write("g.yaml", text);
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await IdOfAsync(g, "a");
        var started = await StartedAtAsync(before);

        Agent.Delete("g.yaml");
        await Task.Delay(TimeSpan.FromSeconds(1)); // within the 2 s prune delay
        await WriteInPiecesAsync("g.yaml", text, 24, TimeSpan.FromMilliseconds(700)); // several seconds, past the delay
        await Agent.WaitReadyAsync(g);
        await Task.Delay(PastTheDelay);
        Assert.Equal(before, (await Containers.RunningAsync(Instance, g, 1)).Single().Id);
        Assert.Equal(started, await StartedAtAsync(before)); // never stopped and started again
    }

    /// <summary>probe-32 F4: `rm` of an envFrom file, then the same text written back in pieces: "not found" dropped its last
    /// good read, and each piece was applied (7 recreates, SECRET cut short in each).</summary>
    [Fact]
    public async Task An_env_file_removed_and_written_back_in_pieces_recreates_nothing()
    {
        var g = Instance.Name("rmenv");
        const string env = "A=1\nSECRET=s3cr3t\nB=hello\n";
        Agent.Write("app.env", env);
        Agent.Write("g.yaml", Group(g, Sleeper("a", "      envFrom: [app.env]\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await IdOfAsync(g, "a");

        Agent.Delete("app.env");
        await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", null, TimeSpan.FromSeconds(30));
        await WriteInPiecesAsync("app.env", env, 4, TimeSpan.FromMilliseconds(600));
        await Agent.WaitReadyAsync(g);
        await Task.Delay(PastTheDelay);
        Assert.Equal(before, (await Containers.RunningAsync(Instance, g, 1)).Single().Id);
        Assert.Contains("SECRET=s3cr3t", await DockerCli.InspectAsync(before, "{{json .Config.Env}}"));
    }
}
