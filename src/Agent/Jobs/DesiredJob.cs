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

    /// <summary>The hash of the template, relative bind sources as written: a Job runs again when it changes, not when
    /// the folder that holds its manifest moves (a relative bind then resolves to another absolute path).</summary>
    public string TemplateHash { get; } = Hash(AsWritten(Template));

    /// <summary>The hash earlier agents kept, of the template with its bind sources resolved: a history that holds it
    /// is of this template (it is taken over, not run again after an upgrade).</summary>
    public string ResolvedTemplateHash { get; } = Hash(Template);

    public bool IsTemplate(string? hash) => hash is not null && (hash == TemplateHash || hash == ResolvedTemplateHash);

    private static JobTemplate AsWritten(JobTemplate template) =>
        template.Container.Mounts.Any(m => m.WrittenSource is not null)
            ? template with { Container = template.Container with { Mounts = template.Container.Mounts.Select(m => m.WrittenSource is { } w ? m with { Source = w } : m).ToList() } }
            : template;

    /// <summary>The hash of the whole spec as the manifest says it (schedule, policy, limits, template): what `agent diff`
    /// compares with the one the runner last applied. Kept by `with` copies, so a suspend through the API does not change it.</summary>
    public string SpecHash { get; private init; } = "";

    public static DesiredJob? From(Core.Manifests.IManifestObject? obj) => obj switch
    {
        CronJob c => new DesiredJob(c.Key, c.Spec.JobTemplate, c.Spec, c.Spec.SuccessfulJobsHistoryLimit, c.Spec.FailedJobsHistoryLimit) { SpecHash = Hash(c.Spec with { JobTemplate = AsWritten(c.Spec.JobTemplate) }) },
        Job j => new DesiredJob(j.Key, j.Spec, null, 3, 1) { SpecHash = Hash(AsWritten(j.Spec)) },
        _ => null,
    };

    private static string Hash<T>(T spec) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(spec, Canonical.Info<T>()))))[..16];
}
