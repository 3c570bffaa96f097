using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Agent.Http;

/// <summary>
/// JSON answers written with the metadata of their declared type from the API's JSON options (source-generated, no
/// reflection): unlike Results.Ok(object), which looks the value's runtime type up (a List behind an IReadOnlyList, a LINQ
/// iterator), the declared type is the one registered in <see cref="AgentJsonContext"/>.
/// </summary>
public static class JsonAnswer
{
    public static IResult Ok<T>(T value) => new Answer<T>(StatusCodes.Status200OK, value, null);

    public static IResult Created<T>(string location, T value) => new Answer<T>(StatusCodes.Status201Created, value, location);

    public static IResult Accepted<T>(string? location, T value) => new Answer<T>(StatusCodes.Status202Accepted, value, location);

    private sealed class Answer<T>(int status, T value, string? location) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            if (location is not null) http.Response.Headers.Location = location;
            // The host's API options (ApiJson.Configure'd), as Results.Ok used: same encoder and converters.
            var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            return http.Response.WriteAsJsonAsync(value, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)), contentType: null, http.RequestAborted);
        }
    }
}
