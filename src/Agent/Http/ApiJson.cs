using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Agent.Http;

public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        foreach (var converter in AgentJson.EnumConverters(JsonNamingPolicy.CamelCase)) options.Converters.Add(converter);
        AgentJson.UseContexts(options);
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }

    /// <summary>The source-generated metadata of <typeparamref name="T"/> for <see cref="Options"/> (throws when
    /// <typeparamref name="T"/> is not registered in a context: there is no reflection fallback).</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}
