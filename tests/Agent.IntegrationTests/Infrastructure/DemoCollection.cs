namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Tests that run the demo manifests: their container names (core-api-1, ...) and volume are fixed, so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DemoCollection
{
    public const string Name = "demo manifests";
}
