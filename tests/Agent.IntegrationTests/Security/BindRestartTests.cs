using System.Net;
using Agent.Admission;
using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// probe-15b F1, the restart path: the engine opens a bind source again at EVERY start, so a folder of it swapped for a
/// symlink after the create must not reach the container at the next start, whoever makes it (the engine's restart
/// policy after a crash, the API). The docker CLI is the oracle for what runs and what it mounts.
/// </summary>
public sealed class BindRestartTests : SecurityScenario
{
    private const string Marker = "forbidden-marker";

    /// <summary>Service s binds ./d (a folder of the manifests) at /x and exits 3 once /x/quit exists.</summary>
    private async Task<string> StartGroupAsync(string group)
    {
        Directory.CreateDirectory(Path.Combine(Agent.Manifests, "d"));
        File.WriteAllText(Path.Combine(Agent.StateDir, Marker), "policy-forbidden");
        Agent.Write($"{group}.yaml", Manifest.Group(group,
            $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"while [ ! -e /x/quit ]; do sleep 0.1; done; exit 3\"]\n" +
            "      stopSignal: SIGKILL\n      restart: on-failure\n      volumes: [\"./d:/x\"]\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(group);
        return $"{group}-s-1";
    }

    /// <summary>d becomes a link to the agent's state dir (refused by the policy); the folder the container holds is d.old.</summary>
    private void SwapForLink()
    {
        PathExchange.FolderForLink(Path.Combine(Agent.Manifests, "d"), Path.Combine(Agent.Manifests, "d.old"), Agent.StateDir);
    }

    [Fact]
    public async Task A_restart_policy_restart_after_the_bind_folder_became_a_symlink_is_killed_with_a_warning_until_the_folder_is_back()
    {
        var group = Instance.Name("bindrs");
        var container = await StartGroupAsync(group);
        var id = (await DockerCli.InspectAsync(container, "{{.Id}}")).Trim();
        SwapForLink();
        File.WriteAllText(Path.Combine(Agent.Manifests, "d.old", "quit"), ""); // the container exits 3: the engine starts it again

        var warning = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group))?.Events.LastOrDefault(e => e.Reason == BindMountGuard.Reason)),
            e => e is not null, TimeSpan.FromSeconds(60), "a BindSourceMoved warning");
        Assert.Equal("Warning", warning!.Type);
        Assert.Contains("service s", warning.Message);
        Assert.Contains($"{Agent.Manifests}/d at /x", warning.Message);

        // The started container is gone, and no container of the group runs with the state dir at /x, nor is one created
        // while the link is there: the group reports the bind instead.
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", id)).Exit != 0, TimeSpan.FromSeconds(30), "the started container removed");
        // The manifest now reads as refused (the folder is read again on the change): nothing is created from it meanwhile.
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group)) is { IsReady: false } status
                && status.Condition("Ready")!.Message.Contains($"{Agent.Manifests}/d is not allowed: it resolves through a symlink")),
            TimeSpan.FromSeconds(60), "the group not Ready, naming the bind that goes through the symlink");
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-q", "--filter", $"label=agent.object={group}", "--filter", $"label=agent.instance={Instance.Id}")).Trim());
        // The group's status no longer lists the removed container, although its manifest is held (nothing is applied).
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group))!.Services
                .SelectMany(s => s.Containers).All(c => !id.StartsWith(c.Id, StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the removed container gone from the group's Services");

        // The folder is back: the group is created again through the policy and runs with it.
        PathExchange.LinkForFolder(Path.Combine(Agent.Manifests, "d"), Path.Combine(Agent.Manifests, "d.old"));
        File.Delete(Path.Combine(Agent.Manifests, "d", "quit"));
        await Agent.WaitReadyAsync(group, TimeSpan.FromSeconds(90));
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", container, "test", "-e", $"/x/{Marker}")).Exit);
    }

    [Fact]
    public async Task An_api_restart_with_the_judged_folder_works_and_an_api_start_after_the_swap_is_refused_naming_the_bind()
    {
        var group = Instance.Name("bindapi");
        var container = await StartGroupAsync(group);
        File.WriteAllText(Path.Combine(Agent.Manifests, "d", "judged"), "");
        using var admin = Admin();
        var before = await DockerCli.InspectAsync(container, "{{.State.StartedAt}}");

        var restarted = await admin.PostAsync($"/api/v1/containers/{container}/restart?timeout=0", null);
        Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
        Assert.NotEqual(before, await DockerCli.InspectAsync(container, "{{.State.StartedAt}}"));
        Assert.Equal("true", (await DockerCli.InspectAsync(container, "{{.State.Running}}")).Trim());
        Assert.Equal(0, (await DockerCli.TryRunAsync("exec", container, "test", "-e", "/x/judged")).Exit);

        var stopped = await admin.PostAsync($"/api/v1/containers/{container}/stop?timeout=0", null);
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        SwapForLink();
        var started = await admin.PostAsync($"/api/v1/containers/{container}/start", null);
        var text = await started.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, started.StatusCode);
        Assert.Contains($"{Agent.Manifests}/d at /x", text);
        Assert.Contains("symlink", text);
        Assert.Equal("false", (await DockerCli.InspectAsync(container, "{{.State.Running}}")).Trim());
        Assert.Contains(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group))!.Events, e => e is { Type: "Warning", Reason: BindMountGuard.Reason });

        PathExchange.LinkForFolder(Path.Combine(Agent.Manifests, "d"), Path.Combine(Agent.Manifests, "d.old"));
    }

    [Fact]
    public async Task A_bind_source_deleted_after_a_checked_start_is_no_swap_and_the_container_keeps_running()
    {
        // CI: a copy deleted between the agent's own after-start check and the check of the same start's "start" event
        // read as moved, and the running container was removed.
        var group = Instance.Name("bindgone");
        var container = await StartGroupAsync(group);
        var id = (await DockerCli.InspectAsync(container, "{{.Id}}")).Trim();
        var started = await DockerCli.InspectAsync(id, "{{.State.StartedAt}}");
        Directory.Delete(Path.Combine(Agent.Manifests, "d"), recursive: true);

        await Agent.Services.GetRequiredService<BindMountGuard>().CheckStartedAsync(id, CancellationToken.None);

        Assert.Equal(("true", started), ((await DockerCli.InspectAsync(id, "{{.State.Running}}")).Trim(), await DockerCli.InspectAsync(id, "{{.State.StartedAt}}")));
        Assert.DoesNotContain(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group))!.Events, e => e.Reason == BindMountGuard.Reason);
    }
}
