using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.ContainerAccess;

/// <summary>The files API on a real container, checked with `docker exec`, `docker cp` and the host's own file system.</summary>
[Collection(ContainerAccessCollection.Name)]
public sealed class ContainerFileTests(ContainerAccessFixture fx)
{
    private string Files(string path, string container = "") =>
        $"/api/v1/containers/{(container == "" ? fx.Box : container)}/files?path={Uri.EscapeDataString(path)}";

    private Task<string> Exec(params string[] command) => DockerCli.RunAsync(["exec", fx.Box, .. command]);

    private static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task A_written_file_reads_back_through_the_api_docker_exec_and_docker_cp_and_is_logged()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var bytes = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7 % 256)).ToArray();
        var created = await op.PutAsync(Files("/tmp/written.bin") + "&mode=0640", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("0640", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mode").GetString());

        var read = await op.GetAsync(Files("/tmp/written.bin"));
        Assert.Equal("application/octet-stream", read.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await read.Content.ReadAsByteArrayAsync());
        Assert.Equal("640 3000", await Exec("stat", "-c", "%a %s", "/tmp/written.bin"));
        var copy = Directory.CreateTempSubdirectory("agent-it-cp-").FullName;
        try
        {
            await DockerCli.RunAsync("cp", $"{fx.Box}:/tmp/written.bin", copy);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(copy, "written.bin")));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }

        var replaced = await op.PutAsync(Files("/tmp/written.bin"), JsonContent.Create(new { content = Convert.ToBase64String("replaced\n"u8.ToArray()), mode = "0600" }));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal("replaced", await Exec("cat", "/tmp/written.bin"));
        Assert.Equal("600", await Exec("stat", "-c", "%a", "/tmp/written.bin"));
        Assert.True(fx.Agent.Logs.Count("wrote /tmp/written.bin", fx.Box, "9 bytes", "by operator") >= 1, string.Join("\n", fx.Agent.Logs.Lines.TakeLast(10)));
    }

    [Fact]
    public async Task A_write_cut_off_half_way_leaves_the_old_file_whole_and_the_next_write_removes_the_leftover()
    {
        // The engine extracts whatever part of an upload it got (probe-15 F13: kill -9 of the agent mid-PUT left a torn
        // file): cut the adapter's write off at growing delays until one is cut during the upload itself, then (the upload
        // went through whole: the window was stepped over, as twice in CI) at random delays between the last cut that came
        // before it and the first that came after it.
        var files = (Agent.Engine.IContainerFilesystem)await TestEngine.GetAsync();
        var content = new byte[48 * 1024 * 1024];
        Array.Fill(content, (byte)'n');
        var full = content.Length.ToString();
        var cutDuringUpload = false;
        var random = new Random();
        var (before, after) = (0, 0);
        for (var (delay, tries) = (20, 0); !cutDuringUpload && tries < 60 && delay <= 10000; tries++)
        {
            await Exec("sh", "-c", "echo original > /tmp/atomic.txt");
            using var cut = new CancellationTokenSource(TimeSpan.FromMilliseconds(delay));
            try
            {
                await files.WriteFileAsync(fx.Box, "/tmp", "atomic.txt", content, 0x1A4, cut.Token);
            }
            catch (OperationCanceledException)
            {
            }
            var target = await Exec("sh", "-c", "stat -c %s /tmp/atomic.txt; head -c 8 /tmp/atomic.txt");
            Assert.True(target == "9\noriginal" || target == $"{full}\nnnnnnnnn", $"after a write cut off at {delay} ms the target is torn: {target}");
            var leftover = (await DockerCli.TryRunAsync("exec", fx.Box, "stat", "-c", "%s", "/tmp/.atomic.txt.agent-write")).Stdout.Trim();
            cutDuringUpload = long.TryParse(leftover, out var part) && part < content.Length;
            if (target == $"{full}\nnnnnnnnn") after = after == 0 ? delay : Math.Min(after, delay);
            else if (!cutDuringUpload) before = Math.Max(before, delay);
            delay = after == 0 ? delay * 5 / 4 : random.Next(Math.Min(before, after - 1), after + 1);
        }
        Assert.True(cutDuringUpload, "no cut-off landed during an upload");

        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        using (var written = await op.PutAsync(Files("/tmp/atomic.txt"), new StringContent("whole\n")))
            Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        Assert.Equal("whole", await Exec("cat", "/tmp/atomic.txt"));
        Assert.DoesNotContain(".agent-write", await Exec("ls", "-a", "/tmp"));
    }

    [Fact]
    public async Task A_write_goes_only_where_the_containers_user_could_write_and_the_container_would_see_it()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var passwd = await DockerCli.RunAsync("exec", fx.Nobody, "cat", "/etc/passwd");
        Assert.Contains("may not write /etc/passwd", await ProblemAsync(await op.PutAsync(Files("/etc/passwd", fx.Nobody), new StringContent("root::0:0::/root:/bin/sh\n")), HttpStatusCode.Conflict));
        Assert.Equal(passwd, await DockerCli.RunAsync("exec", fx.Nobody, "cat", "/etc/passwd"));
        Assert.Equal("0:0", await DockerCli.RunAsync("exec", fx.Nobody, "stat", "-c", "%u:%g", "/etc/passwd"));
        Assert.Contains("may not write /root", await ProblemAsync(await op.PostAsync(Files("/root/.ssh", fx.Nobody).Replace("/files?", "/files/mkdir?"), null), HttpStatusCode.Conflict));
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Nobody, "test", "-e", "/root/.ssh")).Exit);

        using (var allowed = await op.PutAsync(Files("/tmp/mine.txt", fx.Nobody), new StringContent("by nobody\n")))
            Assert.Equal(HttpStatusCode.Created, allowed.StatusCode); // /tmp is 1777: the user may write there
        Assert.Equal("65534 by nobody", await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", "stat -c %u /tmp/mine.txt | tr '\\n' ' '; cat /tmp/mine.txt"));

        Assert.Contains("/scratch is a tmpfs mount", await ProblemAsync(await op.PutAsync(Files("/scratch/f", fx.Nobody), new StringContent("x")), HttpStatusCode.Conflict));
        Assert.Contains("under /proc", await ProblemAsync(await op.PutAsync(Files("/proc/sysrq-trigger"), new StringContent("x")), HttpStatusCode.BadRequest));
        // Folders that exist only in the running container (the archive API sees the image's empty /proc): the rule, not a 404.
        Assert.Contains("/proc/1/x is under /proc", await ProblemAsync(await op.PutAsync(Files("/proc/1/x"), new StringContent("x")), HttpStatusCode.BadRequest));
        // Through a link into /proc the same rule, also where the folder exists only in the running container (probe-15l L1:
        // a 404 said to mkdir it, and the mkdir was refused), for PUT and mkdir alike.
        await Exec("sh", "-c", "ln -sfn / /tmp/l1root && ln -sfn /proc /tmp/l1proc");
        Assert.Contains("/tmp/l1root/proc/sys/kernel/core_pattern (which leads to /proc/sys/kernel/core_pattern) is under /proc",
            await ProblemAsync(await op.PutAsync(Files("/tmp/l1root/proc/sys/kernel/core_pattern"), new StringContent("x")), HttpStatusCode.BadRequest));
        Assert.Contains("(which leads to /proc/sys/kernel/core_pattern) is under /proc",
            await ProblemAsync(await op.PutAsync(Files("/tmp/l1proc/sys/kernel/core_pattern"), new StringContent("x")), HttpStatusCode.BadRequest));
        Assert.Contains("(which leads to /proc/sys/kernel/zz) is under /proc",
            await ProblemAsync(await op.PostAsync(Files("/tmp/l1root/proc/sys/kernel/zz").Replace("/files?", "/files/mkdir?"), null), HttpStatusCode.BadRequest));
        Assert.NotEqual("x", await Exec("cat", "/proc/sys/kernel/core_pattern"));
        Assert.Contains("under /sys", await ProblemAsync(await op.PostAsync(Files("/sys/kernel/none/x").Replace("/files?", "/files/mkdir?"), null), HttpStatusCode.BadRequest));
        Assert.Contains("under /dev", await ProblemAsync(await op.PostAsync(Files("/dev/shm/x").Replace("/files?", "/files/mkdir?"), null), HttpStatusCode.BadRequest));
        Assert.Contains("bind-mounted by the engine", await ProblemAsync(await op.PutAsync(Files("/etc/hosts"), new StringContent("x")), HttpStatusCode.Conflict));
        Assert.NotEqual("x", await Exec("cat", "/etc/hosts"));
    }

    [Fact]
    public async Task Folders_are_made_listed_and_deleted_by_an_admin_only()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        using var admin = fx.Client(ContainerAccessFixture.AdminToken);
        Assert.Equal(HttpStatusCode.Created, (await op.PostAsync(Files("/srv/a/b") .Replace("/files?", "/files/mkdir?"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await op.PostAsync(Files("/srv/a/b").Replace("/files?", "/files/mkdir?"), null)).StatusCode);
        Assert.Equal("755", await Exec("stat", "-c", "%a", "/srv/a/b"));
        Assert.Equal(HttpStatusCode.Created, (await op.PutAsync(Files("/srv/a/note.txt"), new StringContent("twelve bytes"))).StatusCode);
        await Exec("ln", "-s", "/etc/passwd", "/srv/a/link");

        var listing = await op.GetFromJsonAsync<JsonElement>(Files("/srv/a"));
        var entries = listing.GetProperty("entries").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal(["b", "link", "note.txt"], entries.Keys.Order());
        Assert.Equal("directory", entries["b"].GetProperty("type").GetString());
        Assert.Equal("file", entries["note.txt"].GetProperty("type").GetString());
        Assert.Equal(12, entries["note.txt"].GetProperty("size").GetInt64());
        Assert.Equal("/srv/a/note.txt", entries["note.txt"].GetProperty("path").GetString());
        Assert.Equal("symlink", entries["link"].GetProperty("type").GetString());
        Assert.Equal("/etc/passwd", entries["link"].GetProperty("linkTarget").GetString());
        // Reading a symlink answers the link, never what it points to.
        var link = await op.GetAsync(Files("/srv/a/link"));
        Assert.Equal("application/json", link.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("root:", await link.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Forbidden, (await op.DeleteAsync(Files("/srv/a/note.txt"))).StatusCode);
        Assert.Contains("recursive=true", await ProblemAsync(await admin.DeleteAsync(Files("/srv/a")), HttpStatusCode.BadRequest));
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync(Files("/srv/a/link"))).StatusCode);
        Assert.StartsWith("root:", await Exec("head", "-c", "5", "/etc/passwd")); // the link went, not its target
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync(Files("/srv/a") + "&recursive=true")).StatusCode);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Box, "test", "-e", "/srv/a")).Exit);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync(Files("/srv/a"))).StatusCode);
        Assert.True(fx.Agent.Logs.Count("deleted /srv/a", "by admin") >= 1);
    }

    [Fact]
    public async Task A_delete_in_a_container_that_is_not_running_is_a_409_saying_so_and_the_file_stays()
    {
        using var admin = fx.Client(ContainerAccessFixture.AdminToken);
        var name = fx.Instance.Name("files-created");
        var made = await admin.PostAsJsonAsync("/api/v1/containers", new { service = new { name, image = TestEngine.Image, command = new[] { "sleep", "60" } } });
        Assert.True(made.StatusCode == HttpStatusCode.Created, await made.Content.ReadAsStringAsync());
        var container = (await made.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsync(Files("/tmp/kept.txt", container), new StringContent("kept"))).StatusCode);

        var detail = await ProblemAsync(await admin.DeleteAsync(Files("/tmp/kept.txt", container)), HttpStatusCode.Conflict);

        Assert.Contains($"container {container} is created", detail);
        Assert.Contains($"POST /api/v1/containers/{container}/start", detail);
        Assert.Equal("created", await DockerCli.InspectAsync(container, "{{.State.Status}}"));
        Assert.Equal("kept", (await admin.GetStringAsync(Files("/tmp/kept.txt", container))).Trim());
    }

    [Fact]
    public async Task Writing_over_a_symlink_in_the_users_own_folder_replaces_the_link_dangling_or_not_never_its_target()
    {
        // probe-17 F4: a dangling link (or one to a file the user cannot write) in a folder the user owns was a 409.
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        await DockerCli.RunAsync("exec", "-u", "0", fx.Nobody, "sh", "-c", "mkdir -p /tmp/f4 && chown 65534:65534 /tmp/f4");
        await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", "ln -sfn /f4-nonexistent /tmp/f4/dangling && ln -sfn /etc/passwd /tmp/f4/passwd");
        var passwd = await DockerCli.RunAsync("exec", fx.Nobody, "cat", "/etc/passwd");
        foreach (var link in new[] { "/tmp/f4/dangling", "/tmp/f4/passwd" })
        {
            using var written = await op.PutAsync(Files(link, fx.Nobody), new StringContent("over\n"));
            Assert.True(written.StatusCode == HttpStatusCode.OK, $"{link}: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
            Assert.Equal("file 65534 over", await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", $"[ -L {link} ] && printf 'link ' || printf 'file '; printf '%s ' $(stat -c %u {link}); cat {link}"));
        }
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Nobody, "test", "-e", "/f4-nonexistent")).Exit);
        Assert.Equal(passwd, await DockerCli.RunAsync("exec", fx.Nobody, "cat", "/etc/passwd"));

        // A link in a folder the user may not write cannot be replaced, and is never written through instead.
        await DockerCli.RunAsync("exec", fx.Nobody, "sh", "-c", "echo mine > /tmp/f4/mine");
        await DockerCli.RunAsync("exec", "-u", "0", fx.Nobody, "sh", "-c", "mkdir -p /srv/f4ro && ln -sfn /tmp/f4/mine /srv/f4ro/link");
        Assert.Contains("may not write /srv/f4ro", await ProblemAsync(await op.PutAsync(Files("/srv/f4ro/link", fx.Nobody), new StringContent("through\n")), HttpStatusCode.Conflict));
        Assert.Equal("mine", await DockerCli.RunAsync("exec", fx.Nobody, "cat", "/tmp/f4/mine"));
        Assert.Equal("/tmp/f4/mine", await DockerCli.RunAsync("exec", fx.Nobody, "readlink", "/srv/f4ro/link"));
    }

    [Fact]
    public async Task A_delete_under_proc_sys_or_dev_is_refused_before_rm_runs_also_through_a_link()
    {
        // probe-17 F12: DELETE ran `rm -rf` over /proc (409 with rm's "Operation not permitted"), unlike PUT and mkdir.
        using var admin = fx.Client(ContainerAccessFixture.AdminToken);
        await Exec("sh", "-c", "echo keep > /dev/shm/f12keep && ln -sfn /dev /tmp/f12dev");
        Assert.Contains("/proc is under /proc", await ProblemAsync(await admin.DeleteAsync(Files("/proc") + "&recursive=true"), HttpStatusCode.BadRequest));
        Assert.Contains("/sys/kernel is under /sys", await ProblemAsync(await admin.DeleteAsync(Files("/sys/kernel") + "&recursive=true"), HttpStatusCode.BadRequest));
        Assert.Contains("/dev/shm/f12keep is under /dev", await ProblemAsync(await admin.DeleteAsync(Files("/dev/shm/f12keep")), HttpStatusCode.BadRequest));
        Assert.Contains("/tmp/f12dev/shm/f12keep (which leads to /dev/shm/f12keep) is under /dev",
            await ProblemAsync(await admin.DeleteAsync(Files("/tmp/f12dev/shm/f12keep")), HttpStatusCode.BadRequest));
        Assert.Contains("is under /dev", await ProblemAsync(await admin.DeleteAsync(Files("/tmp/f12dev/shm") + "&recursive=true"), HttpStatusCode.BadRequest));
        Assert.Equal("keep", await Exec("cat", "/dev/shm/f12keep")); // rm never ran: a root container's rm would have removed it
        Assert.Equal(0, fx.Agent.Logs.Count("deleted /dev"));
        Assert.Equal(0, fx.Agent.Logs.Count("deleted /proc"));
        Assert.Equal(0, fx.Agent.Logs.Count("deleted /sys"));
        Assert.Equal(0, fx.Agent.Logs.Count("deleted /tmp/f12dev/"));

        // The link itself is no path under /dev: deleting it removes the link, never what it points to.
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync(Files("/tmp/f12dev"))).StatusCode);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Box, "test", "-L", "/tmp/f12dev")).Exit);
        Assert.Equal("keep", await Exec("cat", "/dev/shm/f12keep"));
        await Exec("rm", "-f", "/dev/shm/f12keep");
    }

    [Fact]
    public async Task Traversal_is_refused_and_symlinks_resolve_inside_the_container_never_on_the_host()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        foreach (var path in new[] { "../../etc/passwd", "/tmp/../../etc/shadow", "/.." })
            Assert.Contains("climbs above", await ProblemAsync(await op.GetAsync(Files(path)), HttpStatusCode.BadRequest));
        Assert.Equal(HttpStatusCode.BadRequest, (await op.GetAsync($"/api/v1/containers/{fx.Box}/files?path=/etc/%00passwd")).StatusCode);
        Assert.Contains("root folder", await ProblemAsync(await op.PutAsync(Files("/"), new StringContent("x")), HttpStatusCode.BadRequest));

        var hostname = await Exec("cat", "/etc/hostname");
        Assert.Equal(hostname + "\n", await op.GetStringAsync(Files("etc/hostname"))); // relative: from the container's root
        // A folder link that climbs "above" the root lands on the container's own /etc, as it does for the container.
        var marker = $"agent-escape-{fx.Instance.Id}";
        await Exec("ln", "-sfn", "../../../../../../etc", "/tmp/up");
        Assert.Equal(HttpStatusCode.Created, (await op.PutAsync(Files($"/tmp/up/{marker}"), new StringContent("inside"))).StatusCode);
        Assert.Equal("inside", await Exec("cat", $"/etc/{marker}"));
        Assert.False(File.Exists($"/etc/{marker}"), "the write reached the host's /etc");
        Assert.Equal(hostname + "\n", await op.GetStringAsync(Files("/tmp/up/hostname")));
        Assert.NotEqual(File.ReadAllText("/etc/hostname").Trim(), hostname);
        // A file link as the last segment is replaced by the write, never followed.
        await Exec("ln", "-sf", "/etc/passwd", "/tmp/pw");
        Assert.Equal(HttpStatusCode.OK, (await op.PutAsync(Files("/tmp/pw"), new StringContent("replaced"))).StatusCode);
        Assert.StartsWith("root:", await Exec("head", "-c", "5", "/etc/passwd"));
        Assert.Equal("regular file", await Exec("stat", "-c", "%F", "/tmp/pw"));
        // A link to a folder too: replaced, not followed into the folder (probe-15i M1: mv moved the file into it).
        await Exec("sh", "-c", "mkdir -p /tmp/linked && ln -sfn /tmp/linked /tmp/dirlink");
        Assert.Equal(HttpStatusCode.OK, (await op.PutAsync(Files("/tmp/dirlink"), new StringContent("replaced"))).StatusCode);
        Assert.Equal("regular file", await Exec("stat", "-c", "%F", "/tmp/dirlink"));
        Assert.Equal("replaced", await Exec("cat", "/tmp/dirlink"));
        Assert.Equal("", await Exec("ls", "-A", "/tmp/linked"));
    }

    /// <summary>probe-62: the engine's stat answers these with a bare 500, which was a 502 "Engine Error ... no message".</summary>
    [Fact]
    public async Task A_file_taken_as_a_folder_a_link_loop_and_an_overlong_name_are_said_as_ls_says_them_not_engine_errors()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        using var admin = fx.Client(ContainerAccessFixture.AdminToken);
        await Exec("sh", "-c", "echo x > /tmp/plain.txt && ln -sfn /tmp/loop-b /tmp/loop-a && ln -sfn /tmp/loop-a /tmp/loop-b");
        Assert.Contains("Not a directory", await Exec("sh", "-c", "ls /tmp/plain.txt/sub 2>&1 || true")); // the oracle: the container's own ls

        foreach (var request in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => op.GetAsync(Files("/tmp/plain.txt/sub")),
                     () => op.GetAsync(Files("/tmp/plain.txt/sub/deeper") + "&stat=true"),
                     () => op.PostAsync($"/api/v1/containers/{fx.Box}/files/mkdir?path={Uri.EscapeDataString("/tmp/plain.txt/sub")}", null),
                     () => admin.DeleteAsync(Files("/tmp/plain.txt/sub")),
                 })
        {
            var detail = await ProblemAsync(await request(), HttpStatusCode.Conflict);
            Assert.Contains("/tmp/plain.txt", detail);
            Assert.Contains("not a", detail);
            Assert.DoesNotContain("/var/lib/docker", detail);
        }
        foreach (var request in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => op.GetAsync(Files("/tmp/loop-a/x")),
                     () => op.PutAsync(Files("/tmp/loop-a/x"), new StringContent("z")),
                 })
        {
            var detail = await ProblemAsync(await request(), HttpStatusCode.Conflict);
            Assert.Contains("symbolic links", detail);
            Assert.DoesNotContain("/var/lib/docker", detail);
        }
        var tooLong = "/tmp/" + new string('a', 300);
        Assert.Contains("file name too long", await ProblemAsync(await op.GetAsync(Files(tooLong)), HttpStatusCode.BadRequest));
        Assert.Contains("file name too long", await ProblemAsync(await op.PutAsync(Files(tooLong), new StringContent("z")), HttpStatusCode.BadRequest));
        Assert.Equal("x", await Exec("cat", "/tmp/plain.txt")); // nothing was changed by any of it
    }

    [Fact]
    public async Task Writes_and_listings_are_size_limited_modes_checked_and_role_gated_on_the_agents_containers_only()
    {
        using var viewer = fx.Client(ContainerAccessFixture.ViewerToken);
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var tooLarge = new byte[ContainerAccessFixture.MaxWriteBytes + 1];
        Assert.Contains("Agent:Files:MaxWriteBytes", await ProblemAsync(await op.PutAsync(Files("/tmp/big"), new ByteArrayContent(tooLarge)), HttpStatusCode.RequestEntityTooLarge));
        Assert.Contains("Agent:Files:MaxWriteBytes", await ProblemAsync(
            await op.PutAsync(Files("/tmp/big"), JsonContent.Create(new { content = Convert.ToBase64String(tooLarge) })), HttpStatusCode.RequestEntityTooLarge));
        // Chunked, so only reading finds the limit: the size read so far is not the file's (probe-15 F8).
        var chunked = await ProblemAsync(await op.PutAsync(Files("/tmp/big"), new ChunkedBytes(new byte[3 * ContainerAccessFixture.MaxWriteBytes])), HttpStatusCode.RequestEntityTooLarge);
        Assert.StartsWith($"The file is more than {ContainerAccessFixture.MaxWriteBytes} bytes; at most {ContainerAccessFixture.MaxWriteBytes} bytes", chunked);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Box, "test", "-e", "/tmp/big")).Exit);
        Assert.Contains("setuid", await ProblemAsync(await op.PutAsync(Files("/tmp/suid") + "&mode=4755", new StringContent("x")), HttpStatusCode.BadRequest));
        Assert.Contains("mkdir", await ProblemAsync(await op.PutAsync(Files("/no/such/folder/f"), new StringContent("x")), HttpStatusCode.NotFound));
        Assert.Contains("Agent:Files:MaxListBytes", await ProblemAsync(await op.GetAsync(Files("/")), HttpStatusCode.BadRequest));
        Assert.Contains("read-only", await ProblemAsync(await op.PutAsync(Files("/tmp/x", fx.ReadOnly), new StringContent("x")), HttpStatusCode.Conflict));

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsync(Files("/tmp/viewer"), new StringContent("x"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync(Files("/etc/hostname"))).StatusCode);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", fx.Box, "test", "-e", "/tmp/viewer")).Exit);

        var foreign = fx.Instance.Name("foreign-files");
        await DockerCli.RunAsync("run", "-d", "--name", foreign, TestEngine.Image, "sleep", "60");
        try
        {
            Assert.Contains("managed by this agent", await ProblemAsync(await op.PutAsync(Files("/tmp/x", foreign), new StringContent("x")), HttpStatusCode.NotFound));
            Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync(Files("/etc/hostname", foreign))).StatusCode);
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", foreign, "test", "-e", "/tmp/x")).Exit);
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", foreign);
        }
    }
}

/// <summary>A body sent without a Content-Length (chunked transfer encoding).</summary>
internal sealed class ChunkedBytes(byte[] bytes) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
