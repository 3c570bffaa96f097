using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>Moving the folder that holds a finished Job does not run it again (probe-15l H4): its relative bind resolves
/// to a new path, but the manifest did not change. The runs are counted in the file the container appends to.</summary>
public sealed class JobMoveTests : AgentScenario
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task Moving_the_folder_of_a_finished_job_does_not_run_it_again()
    {
        var name = Instance.Name("moved");
        Directory.CreateDirectory(Path.Combine(Agent.Manifests, "jobs"));
        Agent.Write($"jobs/{name}.yaml", Job(name, "echo ran >> /out/runs").Replace("    stopSignal", "    volumes: [\"./out:/out\"]\n    stopSignal"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Phase == "Succeeded", TimeSpan.FromSeconds(60), "the first run");

        Directory.Move(Path.Combine(Agent.Manifests, "jobs"), Path.Combine(Agent.Manifests, "jobs2"));
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Source?.Contains("jobs2") == true, TimeSpan.FromSeconds(30), "the move is read");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Single(await ListAsync(Instance, name)); // one container: no second run
        Assert.Equal(["ran"], File.ReadAllLines(Path.Combine(Agent.Manifests, "jobs2", "out", "runs")));
        Assert.Single(Runner.JobStatus(name)!.History);
    }
}
