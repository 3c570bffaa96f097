using Agent.Hosting;

namespace Agent.UnitTests.Security;

/// <summary>docs/manifests.md lists every setting that relaxes a rule.</summary>
public sealed class SecurityDocsTests
{
    private static string Docs()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln"))) dir = dir.Parent;
        var text = File.ReadAllText(Path.Combine(dir!.FullName, "docs", "manifests.md"));
        return text[text.IndexOf("## Security policy", StringComparison.Ordinal)..];
    }

    public static IEnumerable<object[]> Settings =>
        typeof(SecuritySettings).GetProperties().Select(p => new object[] { p.Name });

    [Theory]
    [MemberData(nameof(Settings))]
    public void Every_setting_is_documented_in_the_security_section(string setting) =>
        Assert.Contains($"| `{setting}` |", Docs());
}
