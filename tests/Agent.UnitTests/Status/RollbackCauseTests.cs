using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;
using Agent.Engine;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Status;

/// <summary>A rolled-back update says why, in Degraded and its Warning event, at every reconcile and after a restart:
/// the engine's error at the start, or the health gate with the last health check.</summary>
public sealed class RollbackCauseTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-rollback-cause-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public void Degraded_names_the_cause_of_each_rollback_instead_of_guessing()
    {
        const string Start = "its new container did not start: service:web:1 StartContainer failed: driver failed programming external connectivity: address already in use";
        const string Gate = "its new container did not become healthy: g-db-1-next WaitHealthy failed: container g-db-1-next did not become healthy within 30s (health: unhealthy; last health check: exit code 1, no output)";
        var degraded = GroupConditions.Decide(new ReconcileOutcome(2)
        {
            Operations = 6,
            Failures = ["service:web:1 StartContainer failed: ... address already in use", "g-db-1-next WaitHealthy failed: ..."],
            RolledBack = ["web@aaa", "db@bbb", "web@aaa"],
            RollbackCauses = new Dictionary<string, string> { ["web@aaa"] = Start, ["db@bbb"] = Gate },
        }).Single(c => c.Type == ConditionTypes.Degraded);
        Assert.Equal((true, Hold.RolledBack), (degraded.Status, degraded.Reason));
        Assert.Equal($"update of web@aaa was rolled back: {Start}; update of db@bbb was rolled back: {Gate}; the previous containers keep serving.", degraded.Message);
        Assert.DoesNotContain("did not start or did not become healthy", degraded.Message);
    }

    [Fact]
    public void A_rollback_without_a_known_cause_still_names_the_first_failure()
    {
        var degraded = GroupConditions.Decide(new ReconcileOutcome(2) { Operations = 3, Failures = ["x WaitHealthy failed: boom"], RolledBack = ["web@aaa"] })
            .Single(c => c.Type == ConditionTypes.Degraded);
        Assert.EndsWith("the previous containers keep serving. x WaitHealthy failed: boom", degraded.Message);
    }

    [Theory]
    [InlineData(1, "", "exit code 1, no output")]
    [InlineData(1, "wget: can't connect to remote host (127.0.0.1): Connection refused\n", "exit code 1: wget: can't connect to remote host (127.0.0.1): Connection refused")]
    [InlineData(2, "line one\r\nline two\n\u001b[2J", "exit code 2: line one line two \\u001b[2J")]
    public void The_last_health_check_is_one_escaped_line(long exitCode, string output, string expected) =>
        Assert.Equal(expected, EngineMapping.HealthCheckText(exitCode, output));

    [Fact]
    public void A_long_health_check_output_is_cut() =>
        Assert.Equal("exit code 1: " + new string('x', 200) + "...", EngineMapping.HealthCheckText(1, new string('x', 5000)));

    [Fact]
    public void The_cause_is_kept_with_the_rollback_across_a_restart_and_an_old_record_without_one_still_reads()
    {
        var key = new ObjectKey(ServiceGroup.KindName, "g");
        var first = new RolledBackUpdates(dir.FullName, NullLogger.Instance);
        first.Remember(key, ["web@aaa", "db@bbb"], new Dictionary<string, string> { ["web@aaa"] = "its new container did not start: address already in use" });

        var restarted = new RolledBackUpdates(dir.FullName, NullLogger.Instance);
        Assert.Equal(new HashSet<string> { "web@aaa", "db@bbb" }, restarted.Of(key, null));
        Assert.Equal("its new container did not start: address already in use", restarted.CauseOf(key, "web@aaa"));
        Assert.Null(restarted.CauseOf(key, "db@bbb"));

        // A record written before causes were kept: the same rollbacks, no cause.
        File.WriteAllText(Path.Combine(dir.FullName, RolledBackUpdates.FileName), "{\"ServiceGroup/g\": [\"web@aaa\"]}");
        var old = new RolledBackUpdates(dir.FullName, NullLogger.Instance);
        Assert.Equal(new HashSet<string> { "web@aaa" }, old.Of(key, new HashSet<string> { "web@aaa" }));
        Assert.Null(old.CauseOf(key, "web@aaa"));
    }
}
