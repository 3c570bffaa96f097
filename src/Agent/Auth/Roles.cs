namespace Agent.Auth;

/// <summary>Roles, each including the ones below it: viewer reads, operator also acts on containers and groups, admin does everything.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly string[] All = [Viewer, Operator, Admin];

    public static int Rank(string role) => Array.IndexOf(All, role);

    /// <summary>The roles that satisfy a requirement for <paramref name="role"/>.</summary>
    public static string[] AtLeast(string role) => All.Where(r => Rank(r) >= Rank(role)).ToArray();
}
