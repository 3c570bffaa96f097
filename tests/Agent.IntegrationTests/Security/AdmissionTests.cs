using System.Net;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// The issue's replayed attacks, one test per class, through manifests and through POST /api/v1/run: each is refused
/// and the container is never created, as the docker CLI sees it.
/// </summary>
public sealed class AdmissionTests : SecurityScenario
{
    [Fact]
    public async Task Volumes_that_reach_the_host_or_belong_to_someone_else_are_never_mounted()
    {
        var oob = Instance.Name("oob");           // a group named so that {group}_data is a volume made out of band
        var forged = Instance.Name("forged");     // its volume even carries this agent's labels, but binds the host
        var nfs = Instance.Name("nfs");
        var external = Instance.Name("ext");
        var run = Instance.Name("runvol");
        string[] volumes = [$"{oob}_data", $"{forged}_data", $"run_{run}", "agent-it-someone-elses"];
        try
        {
            await DockerCli.RunAsync("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=/", volumes[0]);
            await DockerCli.RunAsync("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=/etc", "--label", $"{Instance.Labels.Managed}=true",
                "--label", Instance.InstanceLabel, "--label", $"{Instance.Labels.Kind}=ServiceGroup", "--label", $"{Instance.Labels.Object}={forged}", volumes[1]);
            await DockerCli.RunAsync("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=/", volumes[2]);
            await DockerCli.RunAsync("volume", "create", volumes[3]);

            await StartWithAsync(
                (oob, "      volumes: [\"data:/data\"]\n", ""),
                (forged, "      volumes: [\"data:/data\"]\n", ""),
                (nfs, "      volumes: [\"data:/data\"]\n", "  volumes:\n    data: { driverOpts: { type: nfs, o: \"addr=10.0.0.1,rw\", device: \":/export\" } }\n"),
                (external, "      volumes: [\"data:/data\"]\n", "  volumes:\n    data: { external: true, name: agent-it-someone-elses }\n"));

            var refused = await Agent.WaitForConditionAsync(oob, ConditionTypes.Degraded, "True", "ApplyFailed");
            Assert.Contains("not made by this agent", refused.Condition(ConditionTypes.Degraded)!.Message);
            var bound = await Agent.WaitForConditionAsync(forged, ConditionTypes.Degraded, "True", "ApplyFailed");
            Assert.Contains("mounts a host path", bound.Condition(ConditionTypes.Degraded)!.Message);
            await AssertManifestRefusedAsync(nfs, "spec.volumes.data.driverOpts");
            await AssertManifestRefusedAsync(external, "spec.volumes.data.external");
            Assert.Empty(await Containers.OfAsync(Instance, oob));
            Assert.Empty(await Containers.OfAsync(Instance, forged));
            // Someone else's volumes are left as they were.
            Assert.Equal("none", await DockerCli.RunAsync("volume", "inspect", "--format", "{{.Options.type}}", volumes[0]));

            await AssertRunRefusedAsync(run, "\"volumes\":[\"" + run + ":/data\"]", "is not this object's");
            Assert.Equal("none", await DockerCli.RunAsync("volume", "inspect", "--format", "{{.Options.type}}", volumes[2]));
        }
        finally
        {
            foreach (var volume in volumes) await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
        }
    }

    [Fact]
    public async Task Host_paths_kernel_targets_and_working_dirs_are_refused()
    {
        var home = Instance.Name("home");
        var target = Instance.Name("procsys");
        var dir = Instance.Name("fd");
        await StartWithAsync(
            (home, "      volumes: [\"/home:/h:ro\"]\n", ""),
            (target, "      volumes: [\"/tmp:/proc/sys\"]\n", ""),
            (dir, "      workingDir: /proc/self/fd\n", ""));
        await AssertManifestRefusedAsync(home, "spec.services[0].volumes[0]");
        await AssertManifestRefusedAsync(target, "spec.services[0].volumes[0]");
        await AssertManifestRefusedAsync(dir, "spec.services[0].workingDir");

        await AssertRunRefusedAsync(Instance.Name("r-home"), "\"volumes\":[\"/home/someone:/h\"]", "service.volumes[0]");
        await AssertRunRefusedAsync(Instance.Name("r-sys"), "\"tmpfs\":[\"/sys/fs/cgroup\"]", "service.tmpfs[0]");
        await AssertRunRefusedAsync(Instance.Name("r-fd"), "\"workingDir\":\"/proc/self/fd\"", "service.workingDir");
    }

    [Fact]
    public async Task Env_files_outside_the_manifests_folder_are_never_read_nor_echoed()
    {
        var shadow = Instance.Name("shadow");
        var escape = Instance.Name("escape");
        var secret = Path.Combine(Path.GetTempPath(), $"agent-it-{Instance.Id}.env");
        await File.WriteAllTextAsync(secret, "STOLEN=do-not-leak-0xfeed\nthis line is not KEY=VALUE do-not-leak-0xbeef\n");
        try
        {
            var up = string.Concat(Enumerable.Repeat("../", 12));
            await StartWithAsync(
                (shadow, "      envFrom: [/etc/shadow]\n", ""),
                (escape, $"      envFrom: [\"{up}{secret.TrimStart('/')}\"]\n", ""));
            await AssertManifestRefusedAsync(shadow, "outside the manifests folder");
            await AssertManifestRefusedAsync(escape, "outside the manifests folder");
            using var admin = Admin();
            var status = await admin.GetStringAsync($"/api/v1/servicegroups/{escape}");
            Assert.DoesNotContain("do-not-leak", status);
            Assert.DoesNotContain("root:", await admin.GetStringAsync($"/api/v1/servicegroups/{shadow}"));

            await AssertRunRefusedAsync(Instance.Name("r-env"), "\"envFrom\":[\"" + secret + "\"]", "service.envFrom");
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task The_tokens_file_is_never_bound_and_the_manifests_folder_only_read_only()
    {
        var leak = Instance.Name("leak");
        var writable = Instance.Name("rwmanifests");
        var readable = Instance.Name("romanifests");
        await StartWithAsync(
            (leak, $"      volumes: [\"{TokensFile}:/t:ro\"]\n", ""),
            (writable, $"      volumes: [\"{Agent.Manifests}:/m\"]\n", ""),
            (readable, $"      volumes: [\"{Agent.Manifests}:/m:ro\"]\n", ""));
        await AssertManifestRefusedAsync(leak, "spec.services[0].volumes[0]");
        await AssertManifestRefusedAsync(writable, "spec.services[0].volumes[0]");
        await Agent.WaitReadyAsync(readable);

        Assert.Contains("the agent's own secrets", await AssertRunRefusedAsync(Instance.Name("r-leak"), $"\"volumes\":[\"{TokensFile}:/t:ro\"]", "service.volumes[0]"));
        // A run has no manifests folder: a host bind needs Agent:Security:AllowedBindRoots (none here), read-only or not.
        Assert.Contains("AllowedBindRoots", await AssertRunRefusedAsync(Instance.Name("r-rw"), $"\"volumes\":[\"{Agent.Manifests}:/m\"]", "service.volumes[0]"));
        Assert.Contains("AllowedBindRoots", await AssertRunRefusedAsync(Instance.Name("r-dpkg"), "\"volumes\":[\"/var/lib/dpkg:/x\"]", "service.volumes[0]"));
    }

    [Fact]
    public async Task Log_drivers_that_send_data_elsewhere_are_refused()
    {
        var syslog = Instance.Name("syslog");
        var fluentd = Instance.Name("fluentd");
        await StartWithAsync(
            (syslog, "      logging: { driver: syslog, options: { syslog-address: \"tcp://127.0.0.1:2375\" } }\n", ""),
            (fluentd, "      logging: { driver: json-file, options: { fluentd-address: \"169.254.169.254:80\" } }\n", ""));
        await AssertManifestRefusedAsync(syslog, "spec.services[0].logging.driver");
        await AssertManifestRefusedAsync(fluentd, "spec.services[0].logging.options.fluentd-address");

        await AssertRunRefusedAsync(Instance.Name("r-fluentd"), "\"logging\":{\"driver\":\"fluentd\",\"options\":{\"fluentd-address\":\"169.254.169.254:80\"}}", "service.logging.driver");
        await AssertRunRefusedAsync(Instance.Name("r-syslog"), "\"logging\":{\"driver\":\"syslog\",\"options\":{\"syslog-address\":\"tcp://127.0.0.1:2375\"}}", "service.logging.driver");
    }

    [Fact]
    public async Task Security_options_outside_the_allow_list_are_refused_in_both_forms()
    {
        var user = Instance.Name("seluser");
        var role = Instance.Name("selrole");
        var ok = Instance.Name("nnp");
        await StartWithAsync(
            (user, "      securityOpt: [\"label=user:system_u\"]\n", ""),
            (role, "      securityOpt: [\"label:role:system_r\"]\n", ""),
            (ok, "      securityOpt: [\"no-new-privileges:true\"]\n", ""));
        await AssertManifestRefusedAsync(user, "spec.services[0].securityOpt[0]");
        await AssertManifestRefusedAsync(role, "spec.services[0].securityOpt[0]");
        await Agent.WaitReadyAsync(ok); // the allowed option is not a blanket refusal

        await AssertRunRefusedAsync(Instance.Name("r-role"), "\"securityOpt\":[\"label=role:system_r\"]", "service.securityOpt[0]");
        await AssertRunRefusedAsync(Instance.Name("r-user"), "\"securityOpt\":[\"label:user:system_u\"]", "service.securityOpt[0]");
    }

    [Fact]
    public async Task Odd_ids_and_NUL_bytes_are_refused_before_the_engine_and_a_failed_run_leaves_nothing()
    {
        await StartWithAsync();
        using var admin = Admin();
        foreach (var path in new[] { "/api/v1/containers/a%2Fb", "/api/v1/containers/..%2F..%2Fcontainers%2Fjson", "/api/v1/containers/a%20b/logs", "/api/v1/containers/-rf" })
        {
            var response = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("managed by this agent", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/v1/containers/a%2Fb/exec", Json("{\"command\":[\"id\"]}"))).StatusCode);
        // The scope check of an operator's request looks the container up before the route's own id filter (probe-15f F8).
        using var op = Operator();
        foreach (var id in new[] { "%2Fweb", "a%2Fb", "..", "a%20b" })
            Assert.Equal(HttpStatusCode.NotFound, (await op.PostAsync($"/api/v1/containers/{id}/exec", Json("{\"command\":[\"id\"]}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/containers/a%00b")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/containers?group=a%00b")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/v1/images/pull?image=busybox%00", null)).StatusCode);

        // A NUL inside a run's path is a 400 naming it, not a 500.
        var nul = Instance.Name("r-nul");
        await AssertRunRefusedAsync(nul, "\"volumes\":[\"/srv/a\\u0000b:/x\"]", "NUL");
        await AssertRunRefusedAsync(nul, "\"workingDir\":\"/app\\u0000\"", "NUL");

        // Admitted, but the engine cannot start it: what the run created is removed.
        var broken = Instance.Name("r-broken");
        var failed = await admin.PostAsync("/api/v1/run", Json($"{{\"service\":{{\"name\":\"{broken}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"/no/such/binary\"],\"volumes\":[\"{broken}:/data\"]}}}}"));
        Assert.False(failed.IsSuccessStatusCode, await failed.Content.ReadAsStringAsync());
        await AssertNoContainerAsync(broken);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("volume", "inspect", $"run_{broken}")).Exit);
    }
}
