using System.Diagnostics;
using System.Globalization;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;

namespace Agent.Bench;

/// <summary>What admission costs per container: the pure policy, and the volume inspect made right before each create.</summary>
public static class AdmissionBench
{
    public static async Task RunAsync(List<Row> results, int inspects)
    {
        Report.Line("admission ...");
        var spec = new ContainerSpec
        {
            Image = "busybox:1.35", User = "1000:1000", WorkingDir = "/app", SecurityOpt = ["no-new-privileges"],
            Logging = new LoggingSpec("json-file", new Dictionary<string, string> { ["max-size"] = "1m" }),
            Mounts = [new MountSpec(MountType.Bind, "/srv/app/config", "/config", true), new MountSpec(MountType.Volume, "g_data", "/data")],
        };
        var policy = SecurityPolicy.Default;
        const int checks = 20_000;
        for (var i = 0; i < 1000; i++) policy.Check(spec, AdmissionContext.Offline);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < checks; i++) policy.Check(spec, AdmissionContext.Offline);
        var perCheck = clock.Elapsed.TotalMicroseconds / checks;

        using var engine = DockerEngine.FromEnvironment();
        var name = "agent-bench-admission-" + Guid.NewGuid().ToString("N")[..8];
        await engine.CreateVolumeAsync(name, "local", new Dictionary<string, string>(), new Dictionary<string, string>(), default);
        try
        {
            await engine.InspectVolumeAsync(name, default);
            clock.Restart();
            for (var i = 0; i < inspects; i++) await engine.InspectVolumeAsync(name, default);
            var perInspect = clock.Elapsed.TotalMilliseconds / inspects;
            results.Add(new Row("admission, per container", "security policy (pure)", perCheck.ToString("0.0", CultureInfo.InvariantCulture) + " µs", $"{checks} checks of a spec with a bind, a volume, logging, securityOpt"));
            results.Add(new Row("admission, per container", "volume inspect before create", perInspect.ToString("0.00", CultureInfo.InvariantCulture) + " ms", $"per named volume mounted, {inspects} inspects"));
        }
        finally
        {
            await engine.RemoveVolumeAsync(name, default);
        }
    }
}
