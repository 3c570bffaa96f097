using System.Net;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.ContainerAccess;

/// <summary>The files API on containers that run as another user than root: what that user may read and write, and
/// nothing more, checked with `docker exec` (as that user and as root) as the oracle.</summary>
[Collection(ContainerAccessCollection.Name)]
public sealed class ContainerUserFileTests(ContainerAccessFixture fx)
{
    private static string Files(string container, string path) => $"/api/v1/containers/{container}/files?path={Uri.EscapeDataString(path)}";

    private static string Mkdir(string container, string path) => Files(container, path).Replace("/files?", "/files/mkdir?");

    private static async Task<(HttpStatusCode Status, string Detail)> ProblemAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!);
    }

    private static async Task AssertProblemAsync(Task<HttpResponseMessage> request, HttpStatusCode expected, string says)
    {
        var (status, detail) = await ProblemAsync(await request);
        Assert.Equal(expected, status);
        Assert.Contains(says, detail);
    }

    /// <summary>A file the user may not read is 403 (the detail says why), one it may ("open\n") is read, a folder it may
    /// not enter is 403.</summary>
    private static async Task AssertReadsOnlyWhatTheUserCouldAsync(HttpClient op, string container, string secret, string why, string open, string closed)
    {
        await AssertProblemAsync(op.GetAsync(Files(container, secret)), HttpStatusCode.Forbidden, why);
        Assert.Equal("open\n", await op.GetStringAsync(Files(container, open)));
        await AssertProblemAsync(op.GetAsync(Files(container, closed)), HttpStatusCode.Forbidden, $"may not read {closed}");
    }

    [Fact]
    public async Task Root_without_its_file_capabilities_reads_and_writes_only_what_it_could_itself()
    {
        // probe-15e E4: uid 0 with capDrop: [ALL] cannot read a 0600 file of user 1000; the archive API (as full root) could.
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var host = Directory.CreateTempSubdirectory("agent-nocaps-").FullName;
        await File.WriteAllTextAsync(Path.Combine(host, "secret"), "PRIV-1000-ONLY\n");
        await File.WriteAllTextAsync(Path.Combine(host, "open"), "open\n");
        Assert.Equal(0, (await ExternalTool.ShellAsync($"chown 1000:1000 {host}/secret && chmod 600 {host}/secret && chmod 755 {host} && mkdir -m 700 {host}/d && chown 1000:1000 {host}/d")).Exit);
        await DockerCli.RunAsync("cp", "-a", host, $"{fx.NoCaps}:/priv"); // its own root cannot chown (and no-new-privileges bars exec --privileged)
        Directory.Delete(host, recursive: true);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.NoCaps, "cat", "/priv/secret")).Exit); // the oracle: its root cannot

        await AssertReadsOnlyWhatTheUserCouldAsync(op, fx.NoCaps, "/priv/secret", "root without CAP_DAC_OVERRIDE and CAP_FOWNER", "/priv/open", "/priv/d");
        await AssertProblemAsync(op.PutAsync(Files(fx.NoCaps, "/priv/d/x"), new ByteArrayContent("x"u8.ToArray())), HttpStatusCode.Conflict, "Permission denied");
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.NoCaps, "ls", "/priv/d")).Exit);
        Assert.Equal("", (await ExternalTool.ShellAsync($"docker cp {fx.NoCaps}:/priv/d - | tar -t | grep -v '^d/$'")).Stdout); // nothing written
        Assert.Contains("PRIV-1000-ONLY", (await ExternalTool.ShellAsync($"docker cp {fx.NoCaps}:/priv/secret - | tar -xO")).Stdout);
    }

    [Fact]
    public async Task A_listing_shows_only_what_the_user_sees_while_the_container_swaps_the_folder_for_a_link_to_one_it_may_not_enter()
    {
        // probe-15e E4: the user's check and the archive listing are two steps; a link flipped between them listed a root-only folder.
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        await DockerCli.RunAsync("exec", "-u", "0", fx.Nobody, "sh", "-c",
            "mkdir -p -m 700 /tmp/flipro && mkdir -p /tmp/flipro/inner /tmp/flippub/inner && touch /tmp/flipro/inner/ROOT-ONLY-NAME /tmp/flippub/inner/public-name");
        await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", "touch /tmp/flip.on; ln -sfn /tmp/flippub /tmp/flipsw");
        await DockerCli.RunAsync("exec", "-d", fx.Nobody, "sh", "-c",
            "while [ -e /tmp/flip.on ]; do ln -sfn /tmp/flipro /tmp/flipsw; ln -sfn /tmp/flippub /tmp/flipsw; done");
        try
        {
            for (var i = 0; i < 40; i++)
            {
                using var response = await op.GetAsync(Files(fx.Nobody, "/tmp/flipsw/inner"));
                Assert.DoesNotContain("ROOT-ONLY-NAME", await response.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            await DockerCli.RunAsync("exec", fx.Nobody, "rm", "-f", "/tmp/flip.on");
        }
        // While the link flips, a listing may find it changed between the user's check and the archive and refuse: that it
        // lists at all is shown once the link holds still (on a loaded machine 40 tries could all land on a flip).
        await Eventually.TrueAsync(async () =>
        {
            await DockerCli.RunAsync("exec", fx.Nobody, "ln", "-sfn", "/tmp/flippub", "/tmp/flipsw");
            using var response = await op.GetAsync(Files(fx.Nobody, "/tmp/flipsw/inner"));
            return response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("public-name", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the folder the user may enter listed once the link holds still");
    }

    [Fact]
    public async Task Reads_and_listings_go_only_where_the_containers_user_could_read_and_never_in_a_stopped_container()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        await DockerCli.RunAsync("exec", "-u", "0", fx.Nobody, "sh", "-c",
            "mkdir -p /srv/p && echo hunter2 > /srv/p/key && chmod 600 /srv/p/key && echo open > /srv/p/open.txt && mkdir -p -m 700 /srv/closed && touch /srv/closed/x");
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Nobody, "cat", "/srv/p/key")).Exit); // the oracle: the user cannot

        await AssertReadsOnlyWhatTheUserCouldAsync(op, fx.Nobody, "/srv/p/key", "may not read /srv/p/key", "/srv/p/open.txt", "/srv/closed");
        var (status, detail) = await ProblemAsync(await op.GetAsync(Files(fx.Nobody, "/srv/closed/x") + "&stat=true"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("the folder /srv/closed", detail);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(Files(fx.Nobody, "/srv/p"))).StatusCode);

        // A big file read as the user comes whole (the bytes come from `cat` as the user).
        var expected = await DockerCli.RunAsync("exec", fx.Nobody, "sha256sum", "/bin/busybox");
        var bytes = await op.GetByteArrayAsync(Files(fx.Nobody, "/bin/busybox"));
        Assert.Equal(expected.Split(' ')[0], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));

        Assert.Equal(HttpStatusCode.OK, (await op.PostAsync($"/api/v1/containers/{fx.Nobody}/stop", null)).StatusCode);
        try
        {
            (status, detail) = await ProblemAsync(await op.GetAsync(Files(fx.Nobody, "/srv/p/open.txt")));
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Contains("is not running", detail);
        }
        finally
        {
            Assert.Equal(HttpStatusCode.OK, (await op.PostAsync($"/api/v1/containers/{fx.Nobody}/start", null)).StatusCode);
        }
    }

    [Fact]
    public async Task A_numeric_uid_gid_user_gets_files_and_folders_owned_by_it()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        Assert.Equal(HttpStatusCode.Created, (await op.PostAsync(Mkdir(fx.Ids, "/tmp/ids/sub"), null)).StatusCode);
        using (var created = await op.PutAsync(Files(fx.Ids, "/tmp/ids/sub/a.txt") + "&mode=0640", new StringContent("first\n")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var replaced = await op.PutAsync(Files(fx.Ids, "/tmp/ids/sub/a.txt"), new StringContent("second\n")))
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal("1000:1000 755 1000:1000 644 second", await DockerCli.RunAsync("exec", fx.Ids, "sh", "-c",
            "stat -c '%u:%g %a' /tmp/ids/sub | tr '\\n' ' '; stat -c '%u:%g %a' /tmp/ids/sub/a.txt | tr '\\n' ' '; cat /tmp/ids/sub/a.txt"));
        Assert.Equal("second\n", await op.GetStringAsync(Files(fx.Ids, "/tmp/ids/sub/a.txt")));
        Assert.DoesNotContain(".agent-write", await DockerCli.RunAsync("exec", fx.Ids, "ls", "-a", "/tmp/ids/sub"));
    }

    [Fact]
    public async Task A_folder_swapped_for_a_link_while_writing_never_lets_a_file_into_a_folder_the_user_may_not_write()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        // The container's own process flips /tmp/d between its folder and /etc (probe-15b F4b: 9 of 40 writes landed in /etc).
        await DockerCli.RunAsync("exec", "-d", fx.Nobody, "sh", "-c",
            "mkdir -p /tmp/real; echo $$ > /tmp/flip.pid; while :; do ln -sfn /etc /tmp/d; ln -sfn /tmp/real /tmp/d; done");
        var answers = new List<HttpStatusCode>();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                using var put = await op.PutAsync(Files(fx.Nobody, $"/tmp/d/pwned-{i}"), new StringContent("pwned"));
                answers.Add(put.StatusCode);
                using var mkdir = await op.PostAsync(Mkdir(fx.Nobody, $"/tmp/d/pwned-dir-{i}"), null);
                answers.Add(mkdir.StatusCode);
            }
        }
        finally
        {
            await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", "kill $(cat /tmp/flip.pid)");
        }
        Assert.All(answers, a => Assert.Contains(a, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict, HttpStatusCode.NotFound }));
        Assert.DoesNotContain("pwned", await DockerCli.RunAsync("exec", "-u", "0", fx.Nobody, "ls", "-a", "/etc"));
        var landed = await DockerCli.RunAsync("exec", "-u", "0", fx.Nobody, "sh", "-c", "ls -a /tmp/real | grep -c pwned; find /tmp/real -name 'pwned*' ! -user 65534 | wc -l");
        Assert.EndsWith("\n0", landed); // whatever landed is the user's own
    }

    [Fact]
    public async Task Writes_through_a_link_are_judged_where_the_link_leads()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        await DockerCli.RunAsync("exec", fx.Nobody, "ln", "-sfn", "/scratch", "/tmp/scr");
        var (status, detail) = await ProblemAsync(await op.PutAsync(Files(fx.Nobody, "/tmp/scr/f"), new StringContent("x")));
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("/scratch is a tmpfs mount", detail);
        Assert.Contains("which leads to /scratch/f", detail);
        (status, detail) = await ProblemAsync(await op.PostAsync(Mkdir(fx.Nobody, "/tmp/scr/newdir"), null));
        Assert.Equal(HttpStatusCode.Conflict, status);

        await DockerCli.RunAsync("exec", fx.Box, "sh", "-c", "ln -sfn /etc /tmp/e && ln -sfn /dev/shm /tmp/shm");
        (status, detail) = await ProblemAsync(await op.PutAsync(Files(fx.Box, "/tmp/e/hosts"), new StringContent("x")));
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("bind-mounted by the engine", detail);
        (status, detail) = await ProblemAsync(await op.PostAsync(Mkdir(fx.Box, "/tmp/shm/newdir"), null));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("under /dev", detail);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Box, "test", "-e", "/dev/shm/newdir")).Exit);
        Assert.NotEqual("x", await DockerCli.RunAsync("exec", fx.Box, "cat", "/etc/hosts"));

        // The last segment a link to a folder the user may write: the write replaces the link (never lands in the folder).
        await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", "mkdir -p /tmp/own && ln -sfn /tmp/own /tmp/ownlink");
        Assert.Equal(HttpStatusCode.OK, (await op.PutAsync(Files(fx.Nobody, "/tmp/ownlink"), new StringContent("mine"))).StatusCode);
        Assert.Equal("regular file", await DockerCli.RunAsync("exec", fx.Nobody, "stat", "-c", "%F", "/tmp/ownlink"));
        Assert.Equal("", await DockerCli.RunAsync("exec", fx.Nobody, "ls", "-A", "/tmp/own"));
    }

    [Fact]
    public async Task A_large_file_read_through_the_archive_logs_no_error()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var errorsBefore = fx.Agent.Logs.Lines.Count(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));
        var expected = await DockerCli.RunAsync("exec", fx.Box, "sha256sum", "/bin/busybox");
        // probe-15c G6: each read logged two errors after its body; those of the first reads are logged before the last one ends.
        for (var i = 0; i < 4; i++)
        {
            var bytes = await op.GetByteArrayAsync(Files(fx.Box, "/bin/busybox"));
            Assert.Equal(expected.Split(' ')[0], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
        var errors = fx.Agent.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).Skip(errorsBefore).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
