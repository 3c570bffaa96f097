namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Tests that run the demo manifests: their container names (core-api-1, ...) and volume are fixed, so they run
/// one at a time: in one test process by the collection, and across test processes on one engine (two engineers' runs
/// side by side) by <see cref="DemoNamesLock"/>.</summary>
[CollectionDefinition(Name)]
public sealed class DemoCollection : ICollectionFixture<DemoNamesLock>
{
    public const string Name = "demo manifests";
}

/// <summary>A host-wide lock held while the demo collection runs: the demo's fixed names would otherwise meet another
/// test process's demo containers (a NameConflict, not a product fault).</summary>
public sealed class DemoNamesLock : IDisposable
{
    private static readonly string LockFile = Path.Combine(Path.GetTempPath(), "agent-integration-demo-names.lock");
    private readonly FileStream held;

    public DemoNamesLock()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(30);
        while (true)
        {
            try
            {
                held = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
        }
    }

    public void Dispose() => held.Dispose();
}
