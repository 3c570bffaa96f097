using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Json;
using Agent.Core.Model;

namespace Agent.Jobs;

/// <summary>What one job object wants now: a template, and a schedule for CronJobs.</summary>
public sealed record DesiredJob(ObjectKey Key, JobTemplate Template, CronJobSpec? Cron, int SuccessfulLimit, int FailedLimit)
{
    private static readonly JsonSerializerOptions Canonical = CoreJson.Options(new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CoreJsonContext.Default,
    }, enumNaming: null);

    /// <summary>The hash of the template: a Job runs again when it changes.</summary>
    public string TemplateHash { get; } = Hash(Template);

    /// <summary>The hash of the whole spec as the manifest says it (schedule, policy, limits, template): what `agent diff`
    /// compares with the one the runner last applied. Kept by `with` copies, so a suspend through the API does not change it.</summary>
    public string SpecHash { get; private init; } = "";

    public static DesiredJob? From(Core.Manifests.IManifestObject? obj) => obj switch
    {
        CronJob c => new DesiredJob(c.Key, c.Spec.JobTemplate, c.Spec, c.Spec.SuccessfulJobsHistoryLimit, c.Spec.FailedJobsHistoryLimit) { SpecHash = Hash(c.Spec) },
        Job j => new DesiredJob(j.Key, j.Spec, null, 3, 1) { SpecHash = Hash(j.Spec) },
        _ => null,
    };

    private static string Hash<T>(T spec) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(spec, Canonical.Info<T>()))))[..16];
}
