using System.Globalization;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>The order containers started in, as the docker CLI reports it: dependsOn order held or not.</summary>
public static class StartOrder
{
    private static async Task<DateTimeOffset> TimeAsync(string container, string field) =>
        DateTimeOffset.Parse(await DockerCli.InspectAsync(container, $"{{{{.State.{field}}}}}"), CultureInfo.InvariantCulture);

    /// <summary>The last start of <paramref name="dependent"/> was not before that of <paramref name="dependency"/>.</summary>
    public static async Task AssertStartedAfterAsync(string dependent, string dependency)
    {
        var (dependencyStart, dependentStart) = (await TimeAsync(dependency, "StartedAt"), await TimeAsync(dependent, "StartedAt"));
        Assert.True(dependentStart >= dependencyStart, $"{dependent} started at {dependentStart:O}, before its dependency {dependency} at {dependencyStart:O}");
    }

    /// <summary>The last start of <paramref name="dependent"/> was not before the last run of <paramref name="oneShot"/> ended.</summary>
    public static async Task AssertStartedAfterEndOfAsync(string dependent, string oneShot)
    {
        var (end, dependentStart) = (await TimeAsync(oneShot, "FinishedAt"), await TimeAsync(dependent, "StartedAt"));
        Assert.True(dependentStart >= end, $"{dependent} started at {dependentStart:O}, before {oneShot} completed at {end:O}");
    }
}
