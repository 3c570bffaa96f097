namespace Agent.IntegrationTests.Infrastructure;

/// <summary>The engine's events in a window (docker events, one-second resolution) for an instance's objects and for
/// one image: what a no-op resync must leave empty, builds included.</summary>
public static class BuildEvents
{
    /// <summary>The start of a window: the next whole second.</summary>
    public static async Task<long> StartWindowAsync()
    {
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1;
        await Task.Delay(1500);
        return since;
    }

    public static async Task<string> SinceAsync(long since, TestInstance instance, string image)
    {
        await Task.Delay(1100);
        var until = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        var objects = await DockerCli.RunAsync("events", "--since", since.ToString(), "--until", until,
            "--filter", $"label={instance.InstanceLabel}", "--format", "{{.Type}} {{.Action}}");
        var builds = await DockerCli.RunAsync("events", "--since", since.ToString(), "--until", until,
            "--filter", "type=image", "--filter", $"image={image}", "--format", "{{.Type}} {{.Action}}");
        return (objects + "\n" + builds).Trim();
    }
}
