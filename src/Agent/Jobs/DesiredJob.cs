using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Model;

namespace Agent.Jobs;

/// <summary>What one job object wants now: a template, and a schedule for CronJobs.</summary>
public sealed record DesiredJob(ObjectKey Key, JobTemplate Template, CronJobSpec? Cron, int SuccessfulLimit, int FailedLimit)
{
    private static readonly JsonSerializerOptions Canonical = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The hash of the template: a Job runs again when it changes.</summary>
    public string TemplateHash { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Template, Canonical))))[..16];

    public static DesiredJob? From(Core.Manifests.IManifestObject? obj) => obj switch
    {
        CronJob c => new DesiredJob(c.Key, c.Spec.JobTemplate, c.Spec, c.Spec.SuccessfulJobsHistoryLimit, c.Spec.FailedJobsHistoryLimit),
        Job j => new DesiredJob(j.Key, j.Spec, null, 3, 1),
        _ => null,
    };
}
