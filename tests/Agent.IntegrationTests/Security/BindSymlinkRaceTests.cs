using System.Diagnostics;
using System.Net;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// probe-15b F1: a symlink on a bind source swapped while POST /api/v1/run is called. Whatever the timing, a run is
/// refused or mounts the folder that was judged: never a container with the host's /etc at its bind (docker inspect and
/// docker exec as the oracle).
/// </summary>
public sealed class BindSymlinkRaceTests(Xunit.Abstractions.ITestOutputHelper output) : SecurityScenario
{
    private const int Runs = 8;

    // A run binds only under a configured root (it has no manifests folder).
    protected override IDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Agent:Security:AllowedBindRoots:0"] = RaceFolder.Root(Instance.Id) };

    [Fact]
    public async Task A_link_swapped_between_check_and_create_never_mounts_what_it_points_at_later()
    {
        using var folder = new RaceFolder(Instance.Id);
        Directory.CreateDirectory(Path.Combine(folder.Path, "safe"));
        File.WriteAllText(Path.Combine(folder.Path, "safe", "marker"), "judged");
        File.CreateSymbolicLink(Path.Combine(folder.Path, "sw"), Path.Combine(folder.Path, "safe"));
        using var swapper = folder.Loop($"ln -sfn /etc sw.tmp && mv -Tf sw.tmp sw; ln -sfn {folder.Path}/safe sw.tmp && mv -Tf sw.tmp sw");

        await RunManyAsync("sw", Path.Combine(folder.Path, "safe"), "link");
        Assert.True(swapper.Alive, "the swapper ran the whole time");
    }

    [Fact]
    public async Task A_folder_on_the_judged_path_replaced_by_a_link_before_the_start_is_caught_and_removed()
    {
        using var folder = new RaceFolder(Instance.Id);
        Directory.CreateDirectory(Path.Combine(folder.Path, "d", "etc"));
        File.WriteAllText(Path.Combine(folder.Path, "d", "etc", "marker"), "judged");
        // d is a real folder when judged; between the check and the mount it may be a link to /, so d/etc is the host's /etc.
        using var swapper = folder.Loop("mv d d.real && ln -s / d; rm -f d && mv d.real d");

        await RunManyAsync("d/etc", Path.Combine(folder.Path, "d", "etc"), "folder");
        Assert.True(swapper.Alive, "the swapper ran the whole time");
    }

    /// <summary>Runs <see cref="Runs"/> containers binding FOLDER/<paramref name="source"/>; each one created must hold the
    /// judged folder (its marker, no passwd) with the engine told the canonical path; each other one left nothing.</summary>
    private async Task RunManyAsync(string source, string judged, string tag)
    {
        await Agent.StartAsync();
        using var admin = Admin();
        admin.Timeout = TimeSpan.FromMinutes(2);
        var answers = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            var name = Instance.Name($"{tag}{i}");
            var response = await admin.PostAsync("/api/v1/run", Json(
                $"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"3600\"],\"stopSignal\":\"SIGKILL\",\"volumes\":[\"{RaceFolder.Root(Instance.Id)}/{source}:/x\"]}}}}"));
            var text = await response.Content.ReadAsStringAsync();
            answers.Add(response.StatusCode == HttpStatusCode.Created ? "created" : text.Contains("removed right after a start") ? "removed after start" : text.Contains("symlink") ? "refused by the policy" : $"{(int)response.StatusCode}");
            if (response.StatusCode != HttpStatusCode.Created)
            {
                Assert.True((int)response.StatusCode is >= 400 and < 600 && !text.Contains("failed unexpectedly"), $"{(int)response.StatusCode}: {text}");
                await AssertNoContainerAsync(name);
                continue;
            }
            Assert.Equal(judged, await DockerCli.InspectAsync(name, "{{range .Mounts}}{{.Source}}{{end}}"));
            var (passwd, _, _) = await DockerCli.TryRunAsync("exec", name, "test", "-e", "/x/passwd");
            Assert.NotEqual(0, passwd);
            Assert.Equal("judged", (await DockerCli.RunAsync("exec", name, "cat", "/x/marker")).Trim());
            await DockerCli.RunAsync("rm", "-f", name);
        }
        output.WriteLine(string.Join(", ", answers.CountBy(a => a).Select(a => $"{a.Key}: {a.Value}")));
    }

    /// <summary>A folder under /tmp that a background shell loop keeps changing, removed (loop first) at the end.</summary>
    private sealed class RaceFolder(string id) : IDisposable
    {
        public static string Root(string id) => System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"agent-race-{id}");

        public string Path { get; } = Directory.CreateDirectory(Root(id)).FullName;

        public Swapper Loop(string body) => new(Path, body);

        public void Dispose()
        {
            foreach (var link in new[] { "sw", "sw.tmp", "d" }.Select(n => System.IO.Path.Combine(Path, n)))
                if (new FileInfo(link).LinkTarget is not null) File.Delete(link);
            if (Directory.Exists(System.IO.Path.Combine(Path, "d.real"))) Directory.Move(System.IO.Path.Combine(Path, "d.real"), System.IO.Path.Combine(Path, "d"));
            Directory.Delete(Path, recursive: true);
        }
    }

    private sealed class Swapper : IDisposable
    {
        private readonly Process process;

        public Swapper(string folder, string body)
        {
            process = Process.Start(new ProcessStartInfo("bash", ["-c", $"cd {folder} && while :; do {body}; done"]) { RedirectStandardError = true })!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
        }

        public bool Alive => !process.HasExited;

        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }
}
