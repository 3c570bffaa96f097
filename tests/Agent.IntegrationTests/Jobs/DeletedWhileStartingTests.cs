using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-15m (LOW): a CronJob started a run 1.3-1.5 s after its manifest was deleted: the step that made the run
/// saw the manifest, and the engine took its time with the create. The engine is held here (a frozen proxy in front of
/// the real socket) while the manifest is deleted; the run's container, created once the engine answers, is never started.</summary>
public sealed class DeletedWhileStartingTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:EngineRequestTimeout"] = "00:01:00", // the create waits for the thaw, it is not given up
    ["Agent:JobSettle"] = "00:00:00",
})
{
    [Fact]
    public async Task A_run_whose_manifest_is_deleted_while_it_starts_never_starts()
    {
        var name = Instance.Name("delstart");
        Agent.Write("cron.yaml", CronJob(name, "0 0 1 1 *", "echo ran >> /out/log").Replace("      stopSignal", "      volumes: [\"./out:/out\"]\n      stopSignal"));
        await Agent.StartAsync();
        var runner = Agent.Services.GetRequiredService<JobRunner>();
        var key = new ObjectKey(Core.Model.CronJob.KindName, name);
        await Eventually.TrueAsync(() => Task.FromResult(runner.History(key) is not null), TimeSpan.FromSeconds(60), "the CronJob registered");

        Proxy.Freeze();
        Assert.True(runner.Get(key)!.Trigger());
        await Eventually.TrueAsync(() => Task.FromResult(runner.History(key)?.Active.Any() == true), TimeSpan.FromSeconds(30), "the triggered run is under way");
        Agent.Delete("cron.yaml");
        await Eventually.TrueAsync(() => Task.FromResult(runner.CronJobStatus(name) is null), TimeSpan.FromSeconds(30), "the deletion read");
        Proxy.Thaw();

        var log = Path.Combine(Agent.Manifests, "out", "log");
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Logs.Count("not started: its manifest is gone") > 0 || File.Exists(log)), TimeSpan.FromSeconds(60),
            "the start under way was given up, or the run ran");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(File.Exists(log), "the run of the deleted CronJob ran: " + (File.Exists(log) ? File.ReadAllText(log) : ""));
        Assert.DoesNotContain(await ListAsync(Instance, name), c => c.Started is not null);
    }
}
