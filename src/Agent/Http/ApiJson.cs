using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Http;

public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        foreach (var converter in AgentJson.EnumConverters(JsonNamingPolicy.CamelCase)) options.Converters.Add(converter);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)); // enums of anonymous answers
        AgentJson.UseContexts(options);
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }
}
