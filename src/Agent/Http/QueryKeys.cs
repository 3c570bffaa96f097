namespace Agent.Http;

/// <summary>
/// The query keys a route takes (any case, as the binding does): a misspelt key (`grup=`, `sortt=`) is a 400 naming it and
/// what the route takes, rather than ignored (a script filtering or limiting by it would get everything), and a key given
/// twice that is read as one value is a 400 rather than read as one comma-joined value.
/// </summary>
internal static class QueryKeys
{
    /// <param name="route">The route as the message names it (`GET /containers`).</param>
    /// <param name="repeatable">Keys that may be given more than once (`buildArg=A=1&amp;buildArg=B=2`).</param>
    /// <param name="repeatedHint">What a key given twice should be instead.</param>
    public static IResult? Problem(IQueryCollection query, string route, IReadOnlyCollection<string> allowed,
        IReadOnlyCollection<string>? repeatable = null, string repeatedHint = "give it once")
    {
        foreach (var (name, values) in query)
        {
            if (!allowed.Contains(name, StringComparer.OrdinalIgnoreCase))
                return ApiProblems.BadRequest($"unknown query parameter \"{name}\": {route} takes {string.Join(", ", allowed)}",
                    new Dictionary<string, object?> { ["allowed"] = allowed });
            if (values.Count > 1 && repeatable?.Contains(name, StringComparer.OrdinalIgnoreCase) != true)
                return ApiProblems.BadRequest($"query parameter {name} is given {values.Count} times: {repeatedHint}");
        }
        return null;
    }

    /// <summary>A route endpoint filter of <see cref="Problem"/>: checked before the handler binds anything.</summary>
    public static TBuilder WithQueryKeys<TBuilder>(this TBuilder builder, string route, string[] allowed, string[]? repeatable = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            Problem(context.HttpContext.Request.Query, route, allowed, repeatable) is { } problem ? problem : await next(context));
}
