using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.UnitTests.Manifests;

/// <summary>probe-19 B: an imperative run restarts nothing unless it asks to, as docker run; a manifest service keeps `always`.</summary>
public sealed class RunRestartDefaultTests
{
    private static RestartPolicy RestartOf(string json)
    {
        var (run, errors) = RunRequestParser.Parse(json, MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.True(run is not null, string.Join("; ", errors));
        return run.Service.Container.Restart;
    }

    [Fact]
    public void A_run_without_restart_is_no_and_one_that_sets_it_keeps_it()
    {
        Assert.Equal(RestartMode.No, RestartOf("""{"service": {"name": "web", "image": "busybox:1.35"}}""").Mode);
        Assert.Equal(RestartMode.Always, RestartOf("""{"service": {"name": "web", "image": "busybox:1.35", "restart": "always"}}""").Mode);
        Assert.Equal(RestartMode.OnFailure, RestartOf("""{"service": {"name": "web", "image": "busybox:1.35", "restart": "on-failure"}}""").Mode);
        Assert.Equal(RestartMode.No, RestartOf("""{"service": {"name": "web", "image": "busybox:1.35"}, "autoRemove": true}""").Mode);
    }
}
