using Agent.Core.Model;
using Agent.Core.Security;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>Reads the spec of CronJob and Job documents. A job's container has the fields of a manifest service,
/// read by the same <see cref="ServiceParser"/>, minus those that make no sense for a run to completion.</summary>
internal static class JobParser
{
    public static readonly string[] CronJobFields =
    [
        "schedule", "timeZone", "concurrencyPolicy", "startingDeadline", "suspend",
        "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "jobTemplate",
    ];

    public static readonly string[] TemplateFields = ["activeDeadline", "backoffLimit", "ttlAfterFinished", "container"];

    /// <summary>Service fields a job's container cannot have, and why.</summary>
    private static readonly Dictionary<string, string> NotForJobs = new(StringComparer.Ordinal)
    {
        ["name"] = "a job's containers are named after the job and its run",
        ["replicas"] = "a run makes one container at a time",
        ["dependsOn"] = "jobs do not wait for services",
        ["update"] = "a run is never updated in place; a changed template applies to the next run",
        ["restart"] = "the agent restarts nothing in a job: a failed attempt is retried under backoffLimit",
        ["build"] = "jobs do not build: build the image in a ServiceGroup service (or through POST /api/v1/images/build) and name it in image",
    };

    public static CronJobSpec? ParseCronJob(YamlCursor spec, string name, string manifestDir, IManifestFiles files)
    {
        var f = spec.Mapping(CronJobFields);
        if (f is null) return null;
        var errorsBefore = spec.Context.Errors.Count;

        CronSchedule? schedule = null;
        if (!f.TryGetValue("schedule", out var s)) spec.Error("missing required field \"schedule\" (e.g. \"*/5 * * * *\", \"*/1 * * * * *\", @daily, @every 30s)");
        else if (s.Scalar() is { } text && (schedule = CronSchedule.TryParse(text, out var error)) is null) s.Error(error!);

        var zone = "UTC";
        if (f.TryGetValue("timeZone", out var tz) && tz.Scalar() is { } id)
        {
            if (CronSchedule.Zone(id) is null) tz.Error($"{YamlCursor.Quote(id)} is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)");
            else zone = id;
        }

        JobTemplate? template = null;
        if (!f.TryGetValue("jobTemplate", out var t)) spec.Error("missing required field \"jobTemplate\"");
        else template = ParseTemplate(t, name, manifestDir, files);

        var result = new CronJobSpec
        {
            Schedule = schedule!,
            TimeZone = zone,
            ConcurrencyPolicy = f.TryGetValue("concurrencyPolicy", out var cp)
                ? cp.Enum(("Allow", ConcurrencyPolicy.Allow), ("Forbid", ConcurrencyPolicy.Forbid), ("Replace", ConcurrencyPolicy.Replace)) ?? ConcurrencyPolicy.Allow
                : ConcurrencyPolicy.Allow,
            StartingDeadline = f.TryGetValue("startingDeadline", out var sd) ? Positive(sd) : null,
            Suspend = f.TryGetValue("suspend", out var su) && (su.Bool() ?? false),
            SuccessfulJobsHistoryLimit = f.TryGetValue("successfulJobsHistoryLimit", out var sl) ? sl.Int(0, 100) ?? 3 : 3,
            FailedJobsHistoryLimit = f.TryGetValue("failedJobsHistoryLimit", out var fl) ? fl.Int(0, 100) ?? 1 : 1,
            JobTemplate = template!,
        };
        return spec.Context.Errors.Count == errorsBefore && schedule is not null && template is not null ? result : null;
    }

    /// <summary>The fields of a run: under a CronJob's jobTemplate, a Job's spec, or an API request (with <paramref name="extra"/> fields).</summary>
    public static JobTemplate? ParseTemplate(YamlCursor cursor, string name, string manifestDir, IManifestFiles files, params string[] extra)
    {
        var f = cursor.Mapping([.. TemplateFields, .. extra]);
        if (f is null) return null;
        var errorsBefore = cursor.Context.Errors.Count;

        ContainerSpec? container = null;
        if (!f.TryGetValue("container", out var c)) cursor.Error("missing required field \"container\" (the fields of a service: image, command, env, volumes, ...)");
        else if (c.Node is YamlMappingNode map)
        {
            foreach (var (key, _) in map.Children)
                if (key is YamlScalarNode { Value: { } k } && NotForJobs.TryGetValue(k, out var why))
                    cursor.Context.Error(key.Start, $"{c.Path}.{k}", $"{YamlCursor.Quote(k)} is not a job container field: {why}");
            if (cursor.Context.Errors.Count == errorsBefore)
                container = new ServiceParser(name, manifestDir, files).Parse(c, impliedName: name) is { } service
                    ? service.Container with { Restart = RestartPolicy.No }
                    : null;
        }
        else c.Error($"expected a mapping with image, command, ..., got {YamlCursor.Describe(c.Node)}");

        var template = new JobTemplate
        {
            Container = container!,
            ActiveDeadline = f.TryGetValue("activeDeadline", out var ad) ? Positive(ad) : null,
            BackoffLimit = f.TryGetValue("backoffLimit", out var bl) ? bl.Int(0, 100) ?? 6 : 6,
            TtlAfterFinished = f.TryGetValue("ttlAfterFinished", out var ttl) ? ttl.Duration(DurationLimits.Agent) : null,
        };
        return cursor.Context.Errors.Count == errorsBefore && container is not null ? template : null;
    }

    /// <summary>The security policy on a job's container, errors at <paramref name="path"/>.container.FIELD.</summary>
    public static void Admit(JobTemplate template, string path, SecurityPolicy policy, ParseContext context, AdmissionContext admission)
    {
        // An API job's path is "": its field is container.privileged, where the body's line and column are found.
        var container = path.Length > 0 ? $"{path}.container" : "container";
        foreach (var violation in policy.Check(template.Container, admission))
            context.Errors.Add(context.ErrorAt($"{container}.{violation.Field}", violation.Message));
    }

    private static TimeSpan? Positive(YamlCursor cursor)
    {
        var d = cursor.Duration(DurationLimits.Agent);
        if (d is { } value && value <= TimeSpan.Zero)
        {
            cursor.Error("must be longer than 0");
            return null;
        }
        return d;
    }
}
