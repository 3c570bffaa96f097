using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Jobs;

public sealed class JobManifestTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-jobs-");

    public void Dispose() => dir.Delete(recursive: true);

    private ManifestSet Load(string text)
    {
        File.WriteAllText(Path.Combine(dir.FullName, "jobs.yaml"), text);
        return new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);
    }

    private const string Backup = """
        apiVersion: agent/v1
        kind: CronJob
        metadata: { name: backup }
        spec:
          schedule: "*/5 * * * *"
          timeZone: Europe/Berlin
          concurrencyPolicy: Forbid
          startingDeadline: 2m
          successfulJobsHistoryLimit: 3
          failedJobsHistoryLimit: 1
          jobTemplate:
            activeDeadline: 10m
            backoffLimit: 2
            ttlAfterFinished: 24h
            container:
              image: busybox:1.35
              command: [sh, -c, "echo backup"]
              volumes: ["data:/data"]
        """;

    [Fact]
    public void A_cronjob_loads_with_its_schedule_policy_and_template()
    {
        var set = Load(Backup);
        Assert.Empty(set.Errors);
        var cron = Assert.IsType<CronJob>(set.Objects[new ObjectKey("CronJob", "backup")]);
        Assert.Equal("*/5 * * * *", cron.Spec.Schedule.Text);
        Assert.Equal("Europe/Berlin", cron.Spec.TimeZone);
        Assert.Equal(ConcurrencyPolicy.Forbid, cron.Spec.ConcurrencyPolicy);
        Assert.Equal(TimeSpan.FromMinutes(2), cron.Spec.StartingDeadline);
        Assert.Equal(TimeSpan.FromMinutes(10), cron.Spec.JobTemplate.ActiveDeadline);
        Assert.Equal(2, cron.Spec.JobTemplate.BackoffLimit);
        Assert.Equal(TimeSpan.FromHours(24), cron.Spec.JobTemplate.TtlAfterFinished);
        Assert.Equal(["sh", "-c", "echo backup"], cron.Spec.JobTemplate.Container.Command);
        Assert.Equal(RestartPolicy.No, cron.Spec.JobTemplate.Container.Restart);
        Assert.Equal("backup_data", cron.Spec.JobTemplate.Container.Mounts.Single().Source);
    }

    [Fact]
    public void A_job_loads_with_the_template_fields_under_spec_and_kubernetes_defaults()
    {
        var set = Load("apiVersion: agent/v1\nkind: Job\nmetadata: { name: migrate }\nspec:\n  container: { image: busybox:1.35, command: [\"true\"] }\n");
        Assert.Empty(set.Errors);
        var job = Assert.IsType<Job>(set.Objects[new ObjectKey("Job", "migrate")]);
        Assert.Equal(6, job.Spec.BackoffLimit);
        Assert.Null(job.Spec.ActiveDeadline);
    }

    [Theory]
    [InlineData("schedule: \"*/5 * * * *\"", "schedule: \"* * *\"", "jobs.yaml:5:13: spec.schedule: \"* * *\" has 3 field(s)")]
    [InlineData("timeZone: Europe/Berlin", "timeZone: Europe/Atlantis", "jobs.yaml:6:13: spec.timeZone: \"Europe/Atlantis\" is not an IANA time zone")]
    [InlineData("concurrencyPolicy: Forbid", "concurrencyPolicy: Sometimes", "jobs.yaml:7:22: spec.concurrencyPolicy: \"Sometimes\" is not one of Allow, Forbid, Replace")]
    [InlineData("startingDeadline: 2m", "startingDeadline: soon", "jobs.yaml:8:21: spec.startingDeadline: \"soon\" is not a duration")]
    [InlineData("backoffLimit: 2", "backoffLimit: -1", "jobs.yaml:13:19: spec.jobTemplate.backoffLimit: must be between 0 and 100, got -1")]
    [InlineData("      image: busybox:1.35", "      image: busybox:1.35\n      restart: always", "jobs.yaml:17:7: spec.jobTemplate.container.restart: \"restart\" is not a job container field")]
    [InlineData("      image: busybox:1.35", "      image: busybox:1.35\n      privileged: true", "jobs.yaml:17:19: spec.jobTemplate.container.privileged: privileged containers are not allowed")]
    [InlineData("      image: busybox:1.35", "      image: busybox:1.35\n      volumes: [\"/var/run/docker.sock:/s\"]", "spec.jobTemplate.container.volumes[0]: bind mount of /var/run/docker.sock is not allowed")]
    [InlineData("  failedJobsHistoryLimit: 1", "  failedJobsHistoryLimit: 1\n  sheduleTypo: x", "jobs.yaml:11:3: spec.sheduleTypo: unknown field \"sheduleTypo\"")]
    public void Errors_name_file_line_column_and_field(string from, string to, string expected)
    {
        var text = Backup.Replace(from, to);
        if (to.Contains("docker.sock")) text = text.Replace("      volumes: [\"data:/data\"]\n", "").Replace("      volumes: [\"data:/data\"]", "");
        var errors = Load(text).Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_cronjob_without_schedule_or_template_names_what_is_missing()
    {
        var errors = Load("apiVersion: agent/v1\nkind: CronJob\nmetadata: { name: x }\nspec: { suspend: true }\n").Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains("missing required field \"schedule\""));
        Assert.Contains(errors, e => e.Contains("missing required field \"jobTemplate\""));
    }

    [Fact]
    public void An_imperative_job_refused_by_policy_is_told_apart_from_a_malformed_body()
    {
        var files = new ManifestFolder("/nonexistent/agent-run");
        var refused = JobRequestParser.Parse("{\"container\": {\"image\": \"busybox:1.35\", \"privileged\": true}}", files, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.True(refused.Violations);
        // probe-62: it said line 1, column 1 (the field's place was looked up under ".container.privileged").
        Assert.Equal(("container.privileged", 1, 55), (Assert.Single(refused.Errors).Path, refused.Errors[0].Line, refused.Errors[0].Column));
        var malformed = JobRequestParser.Parse("{\"container\": {\"image\": \"busybox:1.35\", \"replicas\": 2}}", files, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.False(malformed.Violations);
        Assert.Contains("not a job container field", Assert.Single(malformed.Errors).Message);
        var ok = JobRequestParser.Parse("{\"name\": \"hello\", \"backoffLimit\": 0, \"container\": {\"image\": \"busybox:1.35\", \"command\": [\"echo\", \"hi\"]}}", files, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Equal("hello", ok.Request!.Name);
        Assert.Equal(0, ok.Request.Template.BackoffLimit);
    }

    [Theory]
    [InlineData("./data:/x")]
    [InlineData("../m:/x")]
    [InlineData("../../../../etc:/x")]
    public void A_relative_bind_in_an_api_job_or_run_is_refused_as_relative_not_judged_where_the_placeholder_put_it(string volume)
    {
        // probe-19 B: "../m:/x" was reported as "bind mount of /nonexistent/m".
        var files = new ManifestFolder("/nonexistent/agent-run");
        var job = JobRequestParser.Parse($"{{\"container\": {{\"image\": \"busybox:1.35\", \"volumes\": [\"{volume}\"]}}}}", files, SecurityPolicy.Default, AdmissionContext.Offline);
        var jobError = Assert.Single(job.Errors);
        Assert.Equal("container.volumes[0]", jobError.Path);
        Assert.Contains("bind sources must be absolute", jobError.Message);
        var run = RunRequestParser.Parse($"{{\"service\": {{\"image\": \"busybox:1.35\", \"volumes\": [\"{volume}\"]}}}}", files, SecurityPolicy.Default, AdmissionContext.Offline, "run-1");
        var runError = Assert.Single(run.Errors);
        Assert.Equal("service.volumes[0]", runError.Path);
        Assert.Contains("bind sources must be absolute", runError.Message);
    }
}
