using Agent.Auth;

namespace Agent.Http;

/// <summary>Roles × routes, read from the routes' own metadata (the role each asks, the object a scope judges): the
/// table in docs/api.md, which a test compares with the running agent's routes.</summary>
public static class RouteTable
{
    public sealed record Row(string Method, string Path, string Role, string Scoped);

    public static IReadOnlyList<Row> Rows(EndpointDataSource source) =>
        source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(method =>
            {
                var role = ScopeGuard.RequiredRole(e);
                var scoped = Roles.Rank(role) <= Roles.Rank(Roles.Viewer) ? "yes (reads are not limited)"
                    : e.Metadata.GetOrderedMetadata<ScopeTarget>() is { Count: > 0 } targets ? $"only a {string.Join(" and a ", targets.Select(t => t.Description))} in scope" : "refused";
                return new Row(method, "/" + e.RoutePattern.RawText!.Trim('/').Replace("{*", "{", StringComparison.Ordinal), role, scoped);
            }))
            .OrderBy(r => r.Path, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();

    public static string Markdown(IEnumerable<Row> rows) =>
        "| method | path | viewer | operator | admin | scoped token |\n| --- | --- | --- | --- | --- | --- |\n"
        + string.Concat(rows.Select(r => $"| {r.Method} | `{r.Path}` | {Mark(r.Role, Roles.Viewer)} | {Mark(r.Role, Roles.Operator)} | {Mark(r.Role, Roles.Admin)} | {r.Scoped} |\n"));

    private static string Mark(string needed, string role) => Roles.Rank(role) >= Roles.Rank(needed) ? "✓" : "";
}
