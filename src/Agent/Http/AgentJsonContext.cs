using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Agent.Core.Json;
using Agent.Core.Status;
using Agent.Engine;

namespace Agent.Http;

/// <summary>
/// Source-generated System.Text.Json metadata for the agent's state files and the HTTP API's named bodies (no reflection:
/// the same code in the JIT build and under Native AOT). The API's anonymous answers (small acknowledgements such as
/// <c>{ name, result }</c>) are not here: they still go through the reflection resolver after this context.
/// </summary>
// State files
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(HashSet<string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, SortedSet<string>>))]
[JsonSerializable(typeof(Dictionary<string, Reconciliation.HealthTracker.FailureRecord>))]
[JsonSerializable(typeof(Sources.GitLastSync))]
[JsonSerializable(typeof(Jobs.JobRecord))]
[JsonSerializable(typeof(Auth.JwtPayload))]
// HTTP API bodies and views
[JsonSerializable(typeof(IEnumerable<ContainerListItem>))]
[JsonSerializable(typeof(ContainerDetails))]
[JsonSerializable(typeof(ContainerStats))]
[JsonSerializable(typeof(ExecResult))]
[JsonSerializable(typeof(LogEntry))]
[JsonSerializable(typeof(EngineVersion))]
[JsonSerializable(typeof(EngineInfo))]
[JsonSerializable(typeof(IReadOnlyList<ImageSummary>))]
[JsonSerializable(typeof(ImageDetails))]
[JsonSerializable(typeof(IReadOnlyList<ImageHistoryEntry>))]
[JsonSerializable(typeof(IReadOnlyList<ImageSearchResult>))]
[JsonSerializable(typeof(ImageProgress))]
[JsonSerializable(typeof(ImagePruneResult))]
[JsonSerializable(typeof(DiskUsage))]
[JsonSerializable(typeof(NetworkDetails))]
[JsonSerializable(typeof(ProcessTable))]
[JsonSerializable(typeof(IReadOnlyList<ObjectStatus>))]
[JsonSerializable(typeof(ObjectStatus))]
[JsonSerializable(typeof(IReadOnlyList<Jobs.CronJobView>))]
[JsonSerializable(typeof(IReadOnlyList<Jobs.JobView>))]
[JsonSerializable(typeof(Jobs.CronJobView))]
[JsonSerializable(typeof(Jobs.JobView))]
[JsonSerializable(typeof(NetworkEndpoints.NetworkView))]
[JsonSerializable(typeof(VolumeEndpoints.VolumeView))]
[JsonSerializable(typeof(ContainerProcessEndpoints.ChangeView))]
[JsonSerializable(typeof(ContainerFileEndpoints.FileEntryView))]
[JsonSerializable(typeof(ContainerFileEndpoints.FolderListing))]
[JsonSerializable(typeof(Proxy.ProxyEndpoints.UpstreamView))]
[JsonSerializable(typeof(UsageEndpoints.TopEntry))]
[JsonSerializable(typeof(BuildEndpoints.BuildResult))]
[JsonSerializable(typeof(ContainerEndpoints.ExecBody))]
[JsonSerializable(typeof(NetworkEndpoints.NetworkBody))]
[JsonSerializable(typeof(VolumeEndpoints.VolumeBody))]
[JsonSerializable(typeof(RegistryEndpoints.LoginBody))]
[JsonSerializable(typeof(ImageEndpoints.PullBody))]
[JsonSerializable(typeof(ImageEndpoints.TagBody))]
[JsonSerializable(typeof(BuildEndpoints.BuildBody))]
[JsonSerializable(typeof(ContainerFileEndpoints.FileWriteBody))]
[JsonSerializable(typeof(OpenApiDescriptions.RunBody))]
public sealed partial class AgentJsonContext : JsonSerializerContext;

/// <summary>Options over <see cref="AgentJsonContext"/> and <see cref="CoreJsonContext"/>.</summary>
public static class AgentJson
{
    /// <summary>What a state file is read and written with (System.Text.Json's defaults, as before).</summary>
    public static readonly JsonSerializerOptions State = new() { TypeInfoResolver = JsonTypeInfoResolver.Combine(AgentJsonContext.Default, CoreJsonContext.Default) };

    /// <summary>The enums the agent's own assemblies add to those of Agent.Core, as strings.</summary>
    public static IEnumerable<JsonConverter> EnumConverters(JsonNamingPolicy? naming, bool allowIntegers = true) =>
        CoreJson.EnumConverters(naming, allowIntegers).Concat(
        [
            new JsonStringEnumConverter<Tasks.TaskState>(naming, allowIntegers),
            new JsonStringEnumConverter<FileType>(naming, allowIntegers),
            new JsonStringEnumConverter<FileChangeKind>(naming, allowIntegers),
            new JsonStringEnumConverter<LogStream>(naming, allowIntegers),
        ]);

    /// <summary>Puts the source-generated contexts first in <paramref name="options"/>' resolvers, keeping what it had
    /// (the reflection resolver for the anonymous answers) after them.</summary>
    public static void UseContexts(JsonSerializerOptions options)
    {
        options.TypeInfoResolver = JsonTypeInfoResolver.Combine(AgentJsonContext.Default, CoreJsonContext.Default,
            options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver());
    }
}
