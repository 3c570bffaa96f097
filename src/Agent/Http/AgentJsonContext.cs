using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Agent.Core.Json;
using Agent.Core.Status;
using Agent.Engine;

namespace Agent.Http;

/// <summary>
/// Source-generated System.Text.Json metadata for the agent's state files and the HTTP API's named bodies (no reflection:
/// the same code in the JIT build and under Native AOT). There is no reflection fallback: an answer whose type
/// is not here fails (in tests as in the AOT build).
/// </summary>
// State files
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(HashSet<string>))]
[JsonSerializable(typeof(Dictionary<string, DateTimeOffset>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, SortedSet<string>>))]
[JsonSerializable(typeof(Dictionary<string, Reconciliation.HealthTracker.FailureRecord>))]
[JsonSerializable(typeof(Sources.GitLastSync))]
[JsonSerializable(typeof(Jobs.JobRecord))]
[JsonSerializable(typeof(Auth.JwtPayload))]
// HTTP API bodies and views
[JsonSerializable(typeof(IEnumerable<ContainerListItem>))]
[JsonSerializable(typeof(ContainerDetails))]
[JsonSerializable(typeof(LastObservedContainer))]
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
// HTTP API answers by the declared type JsonAnswer/Ndjson write them with
[JsonSerializable(typeof(ResourceActed))]
[JsonSerializable(typeof(VolumeRemoved))]
[JsonSerializable(typeof(Pruned))]
[JsonSerializable(typeof(NetworkConnection))]
[JsonSerializable(typeof(FileDeleted))]
[JsonSerializable(typeof(GitSyncAnswer))]
[JsonSerializable(typeof(Sources.GitRepositoryStatus))]
[JsonSerializable(typeof(List<Sources.GitRepositoryStatus>))]
[JsonSerializable(typeof(GroupRestarted))]
[JsonSerializable(typeof(GroupSuspended))]
[JsonSerializable(typeof(ServiceStopped))]
[JsonSerializable(typeof(CronJobAnswer))]
[JsonSerializable(typeof(JobCreated))]
[JsonSerializable(typeof(ImageTagged))]
[JsonSerializable(typeof(ImagePushed))]
[JsonSerializable(typeof(ImagePulled))]
[JsonSerializable(typeof(ImagesLoaded))]
[JsonSerializable(typeof(ImageRemoved))]
[JsonSerializable(typeof(IEnumerable<RegistryServer>))]
[JsonSerializable(typeof(RegistryLogin))]
[JsonSerializable(typeof(RunCreated))]
[JsonSerializable(typeof(HostUsageView))]
[JsonSerializable(typeof(UsageEndpoints.DiskUsageView))]
[JsonSerializable(typeof(List<UsageEndpoints.TopEntry>))]
[JsonSerializable(typeof(PruneEndpoints.PruneHold))]
[JsonSerializable(typeof(PruneEndpoints.PruneConfirmed))]
[JsonSerializable(typeof(TaskEndpoints.TaskView))]
[JsonSerializable(typeof(IEnumerable<TaskEndpoints.TaskView>))]
[JsonSerializable(typeof(List<ObjectStatus>))]
[JsonSerializable(typeof(List<NetworkEndpoints.NetworkView>))]
[JsonSerializable(typeof(List<VolumeEndpoints.VolumeView>))]
[JsonSerializable(typeof(VolumeSummary))]
[JsonSerializable(typeof(List<ContainerProcessEndpoints.ChangeView>))]
[JsonSerializable(typeof(IReadOnlyList<ContainerProcessEndpoints.ChangeView>))]
[JsonSerializable(typeof(IReadOnlyList<DockerCommands.Equivalent>))]
[JsonSerializable(typeof(ErrorLine))]
[JsonSerializable(typeof(TaskLine))]
[JsonSerializable(typeof(StreamLine))]
[JsonSerializable(typeof(ResultLine))]
// problem+json (ASP.NET Core's writer asks the API options for these) and its extension values (by their runtime type)
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
// what the OpenAPI document describes: request bodies (a raw upload is a Stream) and query/route parameter types
[JsonSerializable(typeof(Stream))]
[JsonSerializable(typeof(bool?))]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(long?))]
[JsonSerializable(typeof(double?))]
[JsonSerializable(typeof(DateTimeOffset?))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(List<FieldError>))]
[JsonSerializable(typeof(List<FieldViolation>))]
[JsonSerializable(typeof(ScopeView))]
[JsonSerializable(typeof(RefusedObject))]
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

    /// <summary>Adds the string converters of every enum the agent serializes, named by <paramref name="naming"/>.</summary>
    public static JsonSerializerOptions WithEnums(JsonSerializerOptions options, JsonNamingPolicy? naming)
    {
        foreach (var converter in EnumConverters(naming)) options.Converters.Add(converter);
        return options;
    }

    /// <summary>Makes the source-generated contexts <paramref name="options"/>' only resolvers: no reflection, in the JIT
    /// build as under Native AOT, so a type missing from them fails the same way (and in tests) in both.</summary>
    public static void UseContexts(JsonSerializerOptions options)
    {
        options.TypeInfoResolver = JsonTypeInfoResolver.Combine(AgentJsonContext.Default, CoreJsonContext.Default);
    }
}
