using System.Diagnostics;
using Agent.Core.Security;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Bench;

/// <summary>What the periodic resync costs on the manifests folder: the first read parses everything; a re-read of an
/// unchanged folder is a stat of every file and a digest, with no reparse.</summary>
public static class SourceBench
{
    public static Task FolderRereadAsync(List<Row> results, int files, int groupsPerFile)
    {
        var dir = Directory.CreateTempSubdirectory("agent-bench-source-");
        var state = Directory.CreateTempSubdirectory("agent-bench-source-state-");
        try
        {
            Report.Line($"folder re-read, {files} files ...");
            for (var f = 0; f < files; f++)
                File.WriteAllText(Path.Combine(dir.FullName, $"f{f}.yaml"), string.Join("---\n", Enumerable.Range(0, groupsPerFile).Select(g =>
                    $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: b{f}-{g}\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n      command: [\"sleep\", \"3600\"]\n")));
            var store = new ManifestStore(new ManifestFolder(dir.FullName), SecurityPolicy.Default, new ManifestIndex(state.FullName), TimeProvider.System, NullLogger<ManifestStore>.Instance);
            var clock = Stopwatch.StartNew();
            store.Reload();
            var first = clock.Elapsed.TotalMilliseconds;
            var samples = new List<double>();
            for (var i = 0; i < 10; i++)
            {
                clock.Restart();
                store.Reload();
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            samples.Sort();
            var objects = files * groupsPerFile;
            results.Add(new Row($"folder read, {files} files / {objects} objects", "agent (first read, parses all)", $"{first:0} ms", "what a changed folder costs"));
            results.Add(new Row($"folder re-read, {files} files / {objects} objects", "agent (unchanged, median of 10)", $"{samples[5]:0.0} ms", $"stat + digest, no reparse (read version stays {store.ReadVersion})"));
        }
        finally
        {
            dir.Delete(recursive: true);
            state.Delete(recursive: true);
        }
        return Task.CompletedTask;
    }
}
