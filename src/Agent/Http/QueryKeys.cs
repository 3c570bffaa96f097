using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Agent.Http;

/// <summary>
/// The query keys each API route takes (any case, as the binding does): a misspelt key (`grup=`, `timeoutSecond=`,
/// `filtr=` on a prune) is a 400 naming it and what the route takes, rather than ignored (a script narrowing a
/// destructive call by it would act on everything: probe-38, a volume prune's `filter=` removed the volume it was meant
/// to keep), and a key given twice that is read as one value is a 400 rather than read as one comma-joined value
/// (`path=/etc&amp;path=/tmp` read as "/etc,/tmp"). A route's keys are its handler's parameters that are not its route
/// values, body, headers or services, unless it declares them (<see cref="WithQueryKeys{TBuilder}"/>: a handler that
/// reads the query itself) or takes any (<see cref="WithAnyQueryKeys{TBuilder}"/>: the proxy passes the query on).
/// </summary>
public static class QueryKeys
{
    /// <summary>The keys a route declares it takes; <see cref="Any"/>: every key (passed on, not read).</summary>
    /// <param name="Types">The type each key binds to, where the handler's parameters say (bool, int...).</param>
    public sealed record Declared(IReadOnlyCollection<string> Allowed, IReadOnlyCollection<string> Repeatable, bool Any = false,
        IReadOnlyDictionary<string, Type>? Types = null);

    private static readonly ConcurrentDictionary<Endpoint, Declared> Derived = new();

    /// <param name="route">The route as the message names it (`GET /containers`).</param>
    /// <param name="repeatable">Keys that may be given more than once (`buildArg=A=1&amp;buildArg=B=2`).</param>
    /// <param name="repeatedHint">What a key given twice should be instead.</param>
    public static IResult? Problem(IQueryCollection query, string route, IReadOnlyCollection<string> allowed,
        IReadOnlyCollection<string>? repeatable = null, string repeatedHint = "give it once")
    {
        foreach (var (name, values) in query)
        {
            if (!allowed.Contains(name, StringComparer.OrdinalIgnoreCase))
                return ApiProblems.BadRequest($"unknown query parameter \"{name}\": {route} takes {(allowed.Count == 0 ? "no query parameters" : string.Join(", ", allowed))}",
                    new Dictionary<string, object?> { ["allowed"] = allowed });
            if (values.Count > 1 && repeatable?.Contains(name, StringComparer.OrdinalIgnoreCase) != true)
                return ApiProblems.BadRequest($"query parameter {name} is given {values.Count} times: {repeatedHint}");
        }
        return null;
    }

    /// <summary>The check for the route <paramref name="http"/> reached, as its handler or its declaration says.</summary>
    public static IResult? Problem(HttpContext http)
    {
        if (http.Request.Query.Count == 0 || KeysOf(http) is not ({ Any: false } keys, { } endpoint)) return null;
        var route = $"{http.Request.Method} {endpoint.RoutePattern.RawText?.Replace("/api/v1", "", StringComparison.Ordinal).TrimEnd('/')}";
        return Problem(http.Request.Query, route, keys.Allowed, keys.Repeatable);
    }

    /// <summary>The first query value that its parameter's type cannot hold (<c>follow=yes</c>, <c>tail=abc</c>), as the
    /// binding would refuse it: <c>follow="yes" is not true or false; ...</c>, or null. The binding's own refusal says so
    /// in the JIT build, but the Native AOT build's generated binding answers a bare 400 (probe-41), which this explains.</summary>
    public static string? BadValue(HttpContext http)
    {
        if (http.Request.Query.Count == 0 || KeysOf(http) is not ({ Types: { } types }, _)) return null;
        foreach (var (name, values) in http.Request.Query)
            if (types.TryGetValue(name, out var type) && values.FirstOrDefault(v => !string.IsNullOrEmpty(v) && !Holds(type, v!)) is { } bad)
                return ErrorAnswers.BadQueryValue(name, bad, type.Name);
        return null;
    }

    private static bool Holds(Type type, string value) =>
        type == typeof(bool) ? bool.TryParse(value, out _)
        : type == typeof(int) ? int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _)
        : type == typeof(long) ? long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _)
        : true;

    private static (Declared Keys, RouteEndpoint Endpoint)? KeysOf(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint endpoint
            ? (endpoint.Metadata.GetMetadata<Declared>() ?? Derived.GetOrAdd(endpoint, e => Derive((RouteEndpoint)e, http.RequestServices)), endpoint)
            : null;

    /// <summary>The handler's parameters that bind from the query: not a route value, the body, a header, a service or
    /// the request's own objects. A list (string[]) may be repeated.</summary>
    private static Declared Derive(RouteEndpoint endpoint, IServiceProvider services)
    {
        var handler = endpoint.Metadata.GetMetadata<MethodInfo>();
        if (handler is null) return new Declared([], [], Any: true); // not a minimal API handler: not judged
        var isService = services.GetService<IServiceProviderIsService>();
        var routeValues = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var allowed = new List<string>();
        var repeatable = new List<string>();
        var types = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in handler.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            if (parameter.Name is null || routeValues.Contains(parameter.Name) || NotQuery(type)
                || parameter.GetCustomAttribute<FromBodyAttribute>() is not null || parameter.GetCustomAttribute<FromServicesAttribute>() is not null
                || parameter.GetCustomAttribute<FromHeaderAttribute>() is not null || parameter.GetCustomAttribute<FromRouteAttribute>() is not null
                || isService?.IsService(parameter.ParameterType) == true)
                continue;
            var name = parameter.GetCustomAttribute<FromQueryAttribute>()?.Name ?? parameter.Name;
            allowed.Add(name);
            types[name] = type;
            if (type.IsArray && type != typeof(string)) repeatable.Add(name);
        }
        return new Declared(allowed, repeatable, Types: types);
    }

    private static bool NotQuery(Type type) =>
        type == typeof(HttpContext) || type == typeof(HttpRequest) || type == typeof(HttpResponse) || type == typeof(CancellationToken)
        || type == typeof(System.Security.Claims.ClaimsPrincipal) || type == typeof(Stream) || type == typeof(System.IO.Pipelines.PipeReader)
        || typeof(IFormFile).IsAssignableFrom(type) || type == typeof(IFormFileCollection);

    /// <summary>The keys a route takes when its handler reads the query itself.</summary>
    public static TBuilder WithQueryKeys<TBuilder>(this TBuilder builder, string[] allowed, string[]? repeatable = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Declared(allowed, repeatable ?? []));

    /// <summary>A route that takes any key (passed on as it came).</summary>
    public static TBuilder WithAnyQueryKeys<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Declared([], [], Any: true));
}
