namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// Runs after every parallel test, alone in the process. For metrics tests: each in-process agent has its own
/// "Microsoft.AspNetCore.Hosting" meter, and OpenTelemetry listens by meter name across the whole process, so with other
/// agents alive a scrape can show another host's HTTP instruments instead of its own. One agent per process, as in
/// production, is what such a test must see.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
