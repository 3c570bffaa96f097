namespace Agent.IntegrationTests.Infrastructure;

/// <summary>What the docker CLI says about the containers of a test instance.</summary>
public static class Containers
{
    public sealed record Row(string Id, string Name, string State);

    public static async Task<IReadOnlyList<Row>> OfAsync(TestInstance instance, string? group = null)
    {
        var filters = new List<string> { "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}}", "--filter", $"label={instance.InstanceLabel}" };
        if (group is not null) { filters.Add("--filter"); filters.Add($"label={instance.Labels.Object}={group}"); }
        var output = await DockerCli.RunAsync([.. filters]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Select(p => new Row(p[0], p[1], p[2]))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    public static async Task<IReadOnlyList<Row>> RunningAsync(TestInstance instance, string group, int count, TimeSpan? within = null) =>
        await Eventually.ReturnsAsync(() => OfAsync(instance, group),
            rows => rows.Count == count && rows.All(r => r.State == "running"),
            within ?? TimeSpan.FromSeconds(60), $"{count} running containers in {group}");
}
