using Agent.Core;
using Agent.Core.Jobs;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;
using Agent.UnitTests.Compose;

namespace Agent.UnitTests.Manifests;

/// <summary>probe-15j M4: a duration past its field's maximum is an error naming file, line and field, never a value that
/// overflows the time arithmetic later; and the arithmetic itself saturates.</summary>
public sealed class DurationLimitTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-durations-");

    public void Dispose() => dir.Delete(recursive: true);

    private const string AgentMax = "2147483647s", AgentOver = "2147483648s", EngineMax = "2562047h", EngineOver = "2562048h";

    private List<string> Errors(string yaml)
    {
        File.WriteAllText(Path.Combine(dir.FullName, "m.yaml"), yaml);
        return new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default).Errors.Select(e => e.ToString()).ToList();
    }

    private static string Group(string service) => $$"""
        apiVersion: agent/v1
        kind: ServiceGroup
        metadata: { name: g }
        spec:
          services:
            - name: web
              image: busybox:1.35
        {{service}}
        """;

    public static TheoryData<string, string, string, string> GroupFields => new()
    {
        // field as written under the service, the path the error names, the longest accepted, the shortest refused
        { "      healthcheck: { test: [CMD, \"true\"], interval: {0} }", "spec.services[0].healthcheck.interval", EngineMax, EngineOver },
        { "      healthcheck: { test: [CMD, \"true\"], timeout: {0} }", "spec.services[0].healthcheck.timeout", EngineMax, EngineOver },
        { "      healthcheck: { test: [CMD, \"true\"], startPeriod: {0} }", "spec.services[0].healthcheck.startPeriod", EngineMax, EngineOver },
        { "      update: { healthTimeout: {0} }", "spec.services[0].update.healthTimeout", AgentMax, AgentOver },
        { "      stopGracePeriod: {0}", "spec.services[0].stopGracePeriod", AgentMax, AgentOver },
    };

    [Theory]
    [MemberData(nameof(GroupFields))]
    public void A_service_group_duration_past_its_maximum_is_an_error_at_its_file_line_and_field(string field, string path, string max, string over)
    {
        Assert.Empty(Errors(Group(field.Replace("{0}", max))));
        var error = Assert.Single(Errors(Group(field.Replace("{0}", over))));
        Assert.StartsWith("m.yaml:8:", error, StringComparison.Ordinal);
        Assert.Contains($": {path}: \"{over}\" is longer than the longest this field takes, ", error, StringComparison.Ordinal);
        Assert.Contains($": {path}: \"99999999h\" is longer", Assert.Single(Errors(Group(field.Replace("{0}", "99999999h")))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_duration_past_what_a_timespan_holds_is_too_long_not_unreadable()
    {
        var error = Assert.Single(Errors(Group("      stopGracePeriod: 99999999999999999h")));
        Assert.EndsWith("spec.services[0].stopGracePeriod: \"99999999999999999h\" is longer than the longest this field takes, 2147483647s (596523h, about 68 years)", error, StringComparison.Ordinal);
        Assert.EndsWith("\"soon\" is not a duration (use a number with a unit: 500ms, 10s, 1m30s, 2h)", Assert.Single(Errors(Group("      stopGracePeriod: soon"))), StringComparison.Ordinal);
    }

    private static string Job(string templateField) => $$"""
        apiVersion: agent/v1
        kind: Job
        metadata: { name: migrate }
        spec:
          {{templateField}}
          container: { image: busybox:1.35, command: [true] }
        """;

    private static string Cron(string specField, string templateField = "backoffLimit: 1") => $$"""
        apiVersion: agent/v1
        kind: CronJob
        metadata: { name: backup }
        spec:
          schedule: "@every 5m"
          {{specField}}
          jobTemplate:
            {{templateField}}
            container: { image: busybox:1.35, command: [true] }
        """;

    [Theory]
    [InlineData("activeDeadline")]
    [InlineData("ttlAfterFinished")]
    public void A_job_duration_past_68_years_is_an_error_at_its_field(string field)
    {
        Assert.Empty(Errors(Job($"{field}: {AgentMax}")));
        Assert.Contains(Errors(Job($"{field}: 99999999h")), e => e.StartsWith("m.yaml:5:", StringComparison.Ordinal)
            && e.EndsWith($": spec.{field}: \"99999999h\" is longer than the longest this field takes, 2147483647s (596523h, about 68 years)", StringComparison.Ordinal));
        Assert.Contains(Errors(Cron("suspend: false", $"{field}: {AgentOver}")), e => e.StartsWith("m.yaml:8:", StringComparison.Ordinal)
            && e.Contains($": spec.jobTemplate.{field}: \"{AgentOver}\" is longer", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cronjob_starting_deadline_and_every_schedule_past_68_years_are_errors_at_their_fields()
    {
        Assert.Contains($"m.yaml:6:21: spec.startingDeadline: \"{AgentOver}\" is longer", string.Join("\n", Errors(Cron($"startingDeadline: {AgentOver}"))), StringComparison.Ordinal);
        var every = Errors(Cron("suspend: false").Replace("@every 5m", "@every 99999999h"));
        Assert.Contains(every, e => e.StartsWith("m.yaml:5:", StringComparison.Ordinal) && e.Contains("spec.schedule: \"@every 99999999h\": @every is at most 2147483647s (596523h, about 68 years)", StringComparison.Ordinal));
        Assert.Empty(Errors(Cron("suspend: false").Replace("@every 5m", $"@every {AgentMax}")));
    }

    [Theory]
    [InlineData("interval")]
    [InlineData("timeout")]
    public void A_git_repository_interval_or_timeout_past_68_years_is_an_error_at_its_field(string field)
    {
        var repo = $"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: ops }}\nspec:\n  url: file:///srv/ops.git\n  ref: {{ branch: main }}\n  {field}: ";
        Assert.Empty(Errors(repo + AgentMax + "\n"));
        Assert.Contains(Errors(repo + AgentOver + "\n"), e => e.StartsWith("m.yaml:7:", StringComparison.Ordinal)
            && e.Contains($": spec.{field}: \"{AgentOver}\" is longer", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string, string> ComposeFields => new()
    {
        { "    stop_grace_period: {0}", "services.app.stop_grace_period", AgentMax, AgentOver },
        { "    healthcheck: { test: [CMD, \"true\"], interval: {0} }", "services.app.healthcheck.interval", EngineMax, EngineOver },
        { "    healthcheck: { test: [CMD, \"true\"], timeout: {0} }", "services.app.healthcheck.timeout", EngineMax, EngineOver },
        { "    healthcheck: { test: [CMD, \"true\"], start_period: {0} }", "services.app.healthcheck.start_period", EngineMax, EngineOver },
        { "    deploy: { update_config: { monitor: {0} } }", "services.app.deploy.update_config.monitor", AgentMax, AgentOver },
    };

    [Theory]
    [MemberData(nameof(ComposeFields))]
    public void A_compose_duration_past_its_maximum_is_an_error_at_its_field(string field, string path, string max, string over)
    {
        using var stack = new ComposeStackFolder();
        string[] Load(string value) => stack.Load($"services:\n  app:\n    image: busybox:1.35\n{field.Replace("{0}", value)}\n").Errors.Select(e => e.ToString()).ToArray();
        Assert.Empty(Load(max));
        Assert.Contains(Load(over), e => e.Contains($"{path}: \"{over}\" is longer than the longest this field takes", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_bodies_refuse_a_duration_past_its_maximum_naming_the_field()
    {
        var (run, runErrors) = RunRequestParser.Parse("""{"service": {"name": "web", "image": "busybox:1.35", "ports": ["8080"]}, "waitFor": {"port": 8080, "timeout": "99999999h"}}""",
            MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Null(run);
        Assert.Equal(("waitFor.timeout", "\"99999999h\" is longer than the longest this field takes, 2147483647s (596523h, about 68 years)"),
            (Assert.Single(runErrors).Path, runErrors[0].Message));

        var job = JobRequestParser.Parse("""{"name": "j1", "activeDeadline": "99999999h", "container": {"image": "busybox:1.35", "command": ["true"]}}""",
            MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Contains(job.Errors, e => e.Path == "activeDeadline" && e.Message.StartsWith("\"99999999h\" is longer", StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_and_command_line_durations_stop_at_68_years()
    {
        Assert.True(Durations.TryParse(AgentMax, out _));
        Assert.False(Durations.TryParse(AgentOver, out _));
        Assert.False(Durations.TryParse("99999999h", out _));
    }

    [Fact]
    public void Time_plus_a_duration_saturates_at_the_ends_instead_of_throwing()
    {
        var now = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(DateTimeOffset.MaxValue, now.Plus(TimeSpan.MaxValue));
        Assert.Equal(DateTimeOffset.MinValue, now.Plus(TimeSpan.MinValue));
        Assert.Equal(now.AddHours(1), now.Plus(TimeSpan.FromHours(1)));
        Assert.Equal(DateTimeOffset.MaxValue, new DateTimeOffset(DateTime.MaxValue.AddHours(-20), TimeSpan.FromHours(14)).Plus(TimeSpan.FromHours(21))); // the clock time would pass the end
        Assert.Equal(DateTime.MaxValue, DateTime.UtcNow.Plus(TimeSpan.MaxValue));
        Assert.Equal(TimeSpan.MaxValue, TimeSpan.MaxValue.Plus(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMilliseconds(uint.MaxValue - 1.0), SaturatingTime.TimerDelay(DurationLimits.Agent));
        Assert.Equal(TimeSpan.Zero, SaturatingTime.TimerDelay(TimeSpan.FromSeconds(-3)));
    }

    [Fact]
    public void A_job_with_the_longest_deadline_and_ttl_decides_without_throwing()
    {
        var t0 = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var template = new JobTemplate { Container = new ContainerSpec { Image = "busybox:1.35" }, ActiveDeadline = TimeSpan.MaxValue, TtlAfterFinished = TimeSpan.MaxValue };
        var running = new JobRun { Id = "r1", Trigger = RunTriggers.Manual, Start = t0, Attempts = [new JobAttempt(1, "c", "c", t0)] };
        Assert.Equal((RunAction.Wait, DateTimeOffset.MaxValue), (RunDecisions.Step(template, running, t0.AddHours(1), TimeSpan.FromSeconds(10)).Action, RunDecisions.Step(template, running, t0.AddHours(1), TimeSpan.FromSeconds(10)).Until));
        var done = running with { End = t0.AddMinutes(1), Phase = RunPhase.Succeeded };
        Assert.Empty(RunDecisions.Expired([done], 5, 5, TimeSpan.MaxValue, t0.AddYears(100)));
    }

    [Fact]
    public void An_every_schedule_whose_next_time_is_past_the_calendar_has_none()
    {
        var schedule = CronSchedule.TryParse("@every 2147483647s", out var error)!;
        Assert.Null(error);
        Assert.NotNull(schedule.Next(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc));
        Assert.Null(schedule.Next(DateTimeOffset.MaxValue.AddDays(-2), TimeZoneInfo.Utc));
    }
}
