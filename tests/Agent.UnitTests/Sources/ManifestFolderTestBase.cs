using Agent.Hosting;
using Agent.Core.Security;
using Agent.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agent.UnitTests.Sources;

/// <summary>A temporary manifests folder and state dir, removed after each test, and the store an agent process makes
/// over them: the setup of every test that reads manifests through <see cref="ManifestStore"/>.</summary>
public abstract class ManifestFolderTestBase(string prefix) : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory($"agent-{prefix}-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory($"agent-{prefix}-state-");

    protected string Root => dir.FullName;
    protected string StateDir => state.FullName;

    protected void Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    protected IOptions<AgentOptions> Options(TimeSpan? pruneDelay = null) =>
        Microsoft.Extensions.Options.Options.Create(new AgentOptions { StateDir = StateDir, PruneDelay = pruneDelay ?? TimeSpan.Zero });

    /// <summary>A store as a new agent process makes it over the same folder and state dir (a second call is a restart);
    /// with <paramref name="checkouts"/> it reads GitRepository objects from them.</summary>
    protected ManifestStore NewStore(ManifestFolder? folder = null, TimeProvider? clock = null, IOptions<AgentOptions>? options = null,
        GitCheckouts? checkouts = null, HostPlacement? placement = null, ILogger<ManifestStore>? logger = null) =>
        new(folder ?? new ManifestFolder(Root), SecurityPolicy.Default, new ManifestIndex(StateDir), clock ?? TimeProvider.System,
            logger ?? NullLogger<ManifestStore>.Instance,
            checkouts is null ? null : new GitDocuments(checkouts, SecurityPolicy.Default, options ?? Options()), checkouts, placement, options);

    /// <summary>The store's log lines, as written.</summary>
    protected sealed class LinesLogger : ILogger<ManifestStore>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add(formatter(state, exception));
        }
    }

    public void Dispose()
    {
        dir.Delete(recursive: true);
        state.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }
}
