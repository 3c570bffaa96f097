using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Model;

namespace Agent.Core.Json;

/// <summary>
/// Source-generated System.Text.Json metadata for the records Agent.Core serializes (spec hashes, the applied-spec label,
/// network/build/job hashes, manifest fingerprints): no reflection, so the same code runs in the JIT build and under
/// Native AOT. Each caller keeps its own options (naming, null handling) with this context as their resolver, which gives
/// the same bytes the reflection resolver gave (pinned by HashPinTests).
/// </summary>
[JsonSerializable(typeof(SpecHashInput))]
[JsonSerializable(typeof(ContainerSpec))]
[JsonSerializable(typeof(NetworkSpec))]
[JsonSerializable(typeof(BuildSpec))]
[JsonSerializable(typeof(JobTemplate))]
[JsonSerializable(typeof(CronJobSpec))]
[JsonSerializable(typeof(ServiceGroupFingerprint))]
[JsonSerializable(typeof(GitRepository))]
[JsonSerializable(typeof(GitRepositorySpec))]
[JsonSerializable(typeof(CronJob))]
[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(ServiceGroupSpec))]
[JsonSerializable(typeof(ComposeOrigin))]
public sealed partial class CoreJsonContext : JsonSerializerContext;

/// <summary>What the spec hash covers: the spec and the network it is planned on. The JSON names are those of the
/// anonymous type hashed before (<c>new { spec, network }</c>), so hashes stay the same.</summary>
public sealed record SpecHashInput(
    [property: JsonPropertyName("spec")] ContainerSpec Spec,
    [property: JsonPropertyName("network")] string? Network);

/// <summary>What a ServiceGroup's fingerprint covers (the names of the anonymous type used before).</summary>
public sealed record ServiceGroupFingerprint(ObjectMetadata Metadata, ServiceGroupSpec Spec);

/// <summary>Options for the agent's own JSON: its enums as strings (AOT-safe generic converters, one per enum that is
/// serialized) and source-generated metadata.</summary>
public static class CoreJson
{
    public static JsonSerializerOptions Options(JsonSerializerOptions options, JsonNamingPolicy? enumNaming, bool allowIntegerEnums = true)
    {
        foreach (var converter in EnumConverters(enumNaming, allowIntegerEnums)) options.Converters.Add(converter);
        return options;
    }

    /// <summary>The metadata of <typeparamref name="T"/> under <paramref name="options"/> (AOT-safe, unlike the generic
    /// Serialize overloads that take options).</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> Info<T>(this JsonSerializerOptions options) =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public static IEnumerable<JsonConverter> EnumConverters(JsonNamingPolicy? naming, bool allowIntegers = true) =>
    [
        new JsonStringEnumConverter<PullPolicy>(naming, allowIntegers),
        new JsonStringEnumConverter<RestartMode>(naming, allowIntegers),
        new JsonStringEnumConverter<MountType>(naming, allowIntegers),
        new JsonStringEnumConverter<DependencyCondition>(naming, allowIntegers),
        new JsonStringEnumConverter<UpdateStrategy>(naming, allowIntegers),
        new JsonStringEnumConverter<Phase>(naming, allowIntegers),
        new JsonStringEnumConverter<ContainerState>(naming, allowIntegers),
        new JsonStringEnumConverter<HealthState>(naming, allowIntegers),
        new JsonStringEnumConverter<ConcurrencyPolicy>(naming, allowIntegers),
        new JsonStringEnumConverter<Jobs.RunPhase>(naming, allowIntegers),
        new JsonStringEnumConverter<Security.SecurityProfile>(naming, allowIntegers),
        new JsonStringEnumConverter<Security.FieldDecision>(naming, allowIntegers),
        new JsonStringEnumConverter<Planning.OperationKind>(naming, allowIntegers),
        new JsonStringEnumConverter<Build.BuildField>(naming, allowIntegers),
    ];
}
