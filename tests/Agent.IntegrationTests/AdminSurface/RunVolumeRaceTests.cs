using System.Net;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>probe-17 F11: concurrent runs that share a new named volume. A losing request's clean-up removed the volume the
/// winner had just made, and the engine then created it again at the winner's container create, without the agent's
/// labels: invisible to GET /volumes, never pruned, and every later run of it refused.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class RunVolumeRaceTests(AdminSurfaceFixture fx)
{
    private const int Concurrent = 8;

    [Fact]
    public async Task Concurrent_runs_of_one_name_sharing_a_new_volume_leave_it_labelled_and_one_run_wins()
    {
        using var admin = fx.Client(AdminToken);
        for (var round = 0; round < 3; round++)
        {
            var name = fx.Instance.Name($"race{round}");
            var data = fx.Instance.Name($"racedata{round}"); // unique per test run: runs side by side on one engine never share it
            var volume = $"run_{data}";
            try
            {
                var answers = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => admin.PostAsync("/api/v1/run", Json(
                    $"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"600\"],\"stopSignal\":\"SIGKILL\",\"volumes\":[\"{data}:/d\"]}}}}"))));
                var codes = answers.Select(a => (int)a.StatusCode).ToList();
                var bodies = await Task.WhenAll(answers.Select(a => a.Content.ReadAsStringAsync()));
                var summary = string.Join("\n", codes.Zip(bodies, (c, b) => $"{c} {b}"));
                Assert.True(codes.Count(c => c == 201) == 1, $"round {round}: exactly one run should win:\n{summary}");
                Assert.All(codes.Where(c => c != 201), c => Assert.True(c is 409 or 400, $"round {round}: a loser answered {c}:\n{summary}"));

                await AssertLabelledAsync(volume, summary);
                Assert.Single(await Containers.OfAsync(fx.Instance), c => c.Name == name && c.State == "running");

                // The volume is the agent's: listed, and another run may share it.
                var listed = await (await admin.GetAsync("/api/v1/volumes")).Content.ReadAsStringAsync();
                Assert.Contains($"\"{volume}\"", listed);
                var second = await admin.PostAsync("/api/v1/run", Json(
                    $"{{\"service\":{{\"name\":\"{name}-b\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"600\"],\"stopSignal\":\"SIGKILL\",\"volumes\":[\"{data}:/d\"]}}}}"));
                await ReadAsync(second, HttpStatusCode.Created);
            }
            finally
            {
                await DockerCli.TryRunAsync("rm", "-f", name, $"{name}-b");
                await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
            }
        }
    }

    /// <summary>A volume prune beside runs of a new volume: the prune's "in use?" look came between a run's volume create
    /// and its container create, so it removed the fresh volume and the engine made it again at the container's create,
    /// unlabelled (or the run was refused: the volume "does not exist yet"). The runs and the prune share VolumeNameLocks.</summary>
    [Fact]
    public async Task A_volume_prune_beside_runs_of_a_new_volume_never_removes_it_under_them()
    {
        using var admin = fx.Client(AdminToken);
        for (var round = 0; round < 3; round++)
        {
            var data = fx.Instance.Name($"prunerace{round}");
            var volume = $"run_{data}";
            var names = Enumerable.Range(0, 6).Select(i => fx.Instance.Name($"pr{round}x{i}")).ToList();
            try
            {
                using var stop = new CancellationTokenSource();
                var pruning = Task.Run(async () =>
                {
                    var removed = new List<string>();
                    var count = 0;
                    do
                    {
                        var pruned = await ReadAsync(await admin.PostAsync("/api/v1/volumes/prune", null), HttpStatusCode.OK);
                        removed.AddRange(pruned.GetProperty("removed").EnumerateArray().Select(v => v.GetString()!));
                        count++;
                        // Paced: a prune that finds nothing to remove answers in milliseconds, and an unpaced loop went
                        // past the agent's 600 requests a minute per client, so every later test of the fixture got 429.
                        await Task.Delay(200);
                    } while (!stop.IsCancellationRequested);
                    return (Count: count, Removed: removed);
                });
                var answers = await Task.WhenAll(names.Select(async name =>
                {
                    var answer = await admin.PostAsync("/api/v1/run", Json(
                        $"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"600\"],\"stopSignal\":\"SIGKILL\",\"volumes\":[\"{data}:/d\"]}}}}"));
                    return $"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}";
                }));
                stop.Cancel();
                var prunes = await pruning;
                var summary = string.Join("\n", answers) + $"\n{prunes.Count} prunes removed: {string.Join(", ", prunes.Removed)}";
                Assert.True(prunes.Count > 0, summary);
                Assert.All(answers, a => Assert.True(a.StartsWith("201 ", StringComparison.Ordinal), $"round {round}: every run should start:\n{summary}"));
                Assert.DoesNotContain(volume, prunes.Removed); // made by a run that had not yet made its container, or in use since

                // Once the runs are done the volume is in use: a prune keeps it.
                var after = await ReadAsync(await admin.PostAsync("/api/v1/volumes/prune", null), HttpStatusCode.OK);
                Assert.DoesNotContain(volume, after.GetProperty("removed").EnumerateArray().Select(v => v.GetString()));
                await AssertLabelledAsync(volume, summary);
                var running = (await Containers.OfAsync(fx.Instance)).Where(c => names.Contains(c.Name) && c.State == "running").Select(c => c.Name).ToList();
                Assert.True(running.Count == names.Count, $"round {round}: running {string.Join(", ", running)} of {string.Join(", ", names)}\n{summary}");
            }
            finally
            {
                await DockerCli.TryRunAsync(["rm", "-f", .. names]);
                await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
            }
        }
    }

    private async Task AssertLabelledAsync(string volume, string summary)
    {
        var (exit, labels, stderr) = await DockerCli.TryRunAsync("volume", "inspect", "-f", "{{json .Labels}}", volume);
        Assert.True(exit == 0, $"{volume} should exist: {stderr}\n{summary}");
        Assert.Contains(fx.Instance.InstanceLabel.Replace("=", "\":\""), labels);
    }
}
