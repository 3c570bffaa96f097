namespace Agent.Http;

/// <summary>
/// Image references carry '/' ("localhost:5000/ns/app:1.0"), so /api/v1/images/localhost:5000/ns/app:1.0/history is
/// rewritten before routing to /api/v1/images/localhost:5000%2Fns%2Fapp:1.0/history and matches /images/{ref}/history.
/// As in the Engine API, a last segment that names an action (history, save, tag, push, json) is the action; inspect an
/// image whose name ends in one of those words with /images/{ref}/json. Already encoded references pass unchanged.
/// </summary>
public static class ImageReferencePaths
{
    private const string Prefix = "/api/v1/images/";
    private static readonly string[] Actions = ["history", "save", "tag", "push", "json"];

    public static string? Rewrite(string path)
    {
        if (!path.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var segments = path[Prefix.Length..].Split('/');
        if (segments.Length < 2 || segments.Any(s => s.Length == 0)) return null;
        var action = Actions.Contains(segments[^1], StringComparer.Ordinal) ? segments[^1] : null;
        var reference = string.Join("%2F", action is null ? segments : segments[..^1]);
        if (!reference.Contains("%2F", StringComparison.Ordinal)) return null;
        return Prefix + reference + (action is null ? "" : "/" + action);
    }

    public static IApplicationBuilder UseImageReferencePaths(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (http.Request.Path.Value is { } path && Rewrite(path) is { } rewritten) http.Request.Path = rewritten;
        return next(http);
    });

    /// <summary>The reference from the {ref} route value ('%2F' back to '/').</summary>
    public static string Decode(string routeValue) => routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
}
