using Agent.Core.Build;
using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Jobs;

namespace Agent.UnitTests.Planning;

/// <summary>
/// The hashes the agent writes into labels (spec hash, network definition, build hash, job template/spec hash) and the
/// applied-spec JSON, pinned to the values the reflection-based serializer produced before the switch to source-generated
/// JSON. A change here recreates every running container after an upgrade: it must never change by accident.
/// </summary>
public sealed class HashPinTests
{
    private static readonly ContainerSpec Minimal = new() { Image = "busybox:1.35" };

    private static readonly ContainerSpec Full = new()
    {
        Image = "registry.local:5000/app:1.2",
        ImagePullPolicy = PullPolicy.Always,
        Build = new BuildSpec
        {
            Context = "/srv/m/app", Dockerfile = "Dockerfile.prod", Args = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["V"] = "1" },
            Target = "final", Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["l"] = "v" }, ContextDigest = "abcdef0123456789",
            CacheFrom = ["app:cache"], Push = true,
        },
        Command = ["sh", "-c", "echo \"hi\" <&> é"],
        Entrypoint = ["/init"],
        WorkingDir = "/w",
        User = "1000:1000",
        Hostname = "h",
        Env = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["A"] = "1", ["SECRET"] = "s3cr3t" },
        SecretEnv = new HashSet<string> { "SECRET" },
        Ports = [new PortMapping("127.0.0.1", 8080, 80), new PortMapping(null, null, 53, "udp")],
        Mounts =
        [
            new MountSpec(MountType.Volume, "g_data", "/data"), new MountSpec(MountType.Bind, "/srv/m/conf", "/conf", true) { CreateSource = true },
            new MountSpec(MountType.Tmpfs, null, "/tmp") { SizeBytes = 1 << 20 }, new MountSpec(MountType.Volume, "ext", "/ext") { External = true },
        ],
        Labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["app"] = "web", [ComposeLabelNames.ConfigFiles] = "/srv/m/compose.yaml", [ComposeLabelNames.WorkingDir] = "/srv/m",
        },
        Restart = new RestartPolicy(RestartMode.OnFailure, 3),
        Healthcheck = new HealthcheckSpec(["CMD", "true"], TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1500), 3, TimeSpan.FromMinutes(1)),
        Resources = new ResourceLimits(64 << 20, 500_000_000, 100) { MemoryReservationBytes = 32 << 20, CpuShares = 512 },
        ReadOnlyRootFilesystem = true,
        CapAdd = ["NET_ADMIN"],
        CapDrop = ["ALL"],
        NoNewPrivileges = true,
        StopSignal = "SIGKILL",
        StopGracePeriod = TimeSpan.FromSeconds(2),
        Logging = new LoggingSpec("json-file", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["max-size"] = "1m" }),
        ExtraHosts = ["host:10.0.0.1"],
        NetworkAliases = ["web"],
        Networks = [new NetworkAttachment("front", "p_front", ["w"], "10.1.0.5", null, 2) { LinkLocalIps = ["169.254.1.1"] }],
        Init = true,
        Privileged = true,
        NetworkMode = "bridge",
        PidMode = "host",
        IpcMode = "private",
        UtsMode = "host",
        UsernsMode = "host",
        CgroupnsMode = "private",
        Devices = ["/dev/null:/dev/null"],
        DeviceCgroupRules = ["c 1:3 r"],
        Gpus = ["all"],
        SecurityOpt = ["no-new-privileges"],
        Sysctls = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["net.core.somaxconn"] = "1024" },
        VolumesFrom = ["other"],
        GroupAdd = ["10"],
        Domainname = "example.org",
        Dns = ["1.1.1.1"],
        DnsSearch = ["example.org"],
        DnsOptions = ["ndots:1"],
        Ulimits = [new UlimitSpec("nofile", 1024, 2048)],
        ShmSizeBytes = 1 << 26,
        Expose = ["8080/tcp"],
        FileDigests = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["/srv/m/.env"] = "0123" },
        Files = [new ContainerFile("/run/secrets/x", "secret text")],
    };

    private static readonly NetworkSpec Network = new("p_front")
    {
        Driver = "bridge",
        DriverOptions = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["mtu"] = "1400" },
        Ipam = new IpamSpec("default", [new IpamPool("10.1.0.0/24", "10.1.0.1", "10.1.0.0/25", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["h"] = "10.1.0.9" })],
            new SortedDictionary<string, string>(StringComparer.Ordinal)),
        Internal = true,
        Attachable = true,
        EnableIpv6 = true,
        Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["x"] = "y" },
    };

    private static readonly JobTemplate Template = new() { Container = Full, ActiveDeadline = TimeSpan.FromMinutes(5), BackoffLimit = 2, TtlAfterFinished = TimeSpan.FromHours(1) };

    private static readonly CronJobSpec Cron = new()
    {
        Schedule = CronSchedule.TryParse("*/5 * * * *", out _)!,
        TimeZone = "Europe/Paris",
        ConcurrencyPolicy = ConcurrencyPolicy.Forbid,
        StartingDeadline = TimeSpan.FromSeconds(30),
        JobTemplate = Template,
    };

    [Fact]
    public void Container_spec_hashes_are_unchanged()
    {
        Assert.Equal("a21e99be39cd6e9f", SpecHash.Of(Minimal));
        Assert.Equal("105737c03cf82b7a", SpecHash.Of(Minimal, "g_default"));
        Assert.Equal("f3deb050b17ab415", SpecHash.Of(Full, "g_default"));
        Assert.Equal("a65d0a33aa65989f", SpecHash.Of(Full with { Build = null, Networks = null, Ulimits = null }));
    }

    [Fact]
    public void Network_build_and_job_hashes_are_unchanged()
    {
        Assert.Equal("3465dca639ec1c47", Network.DefinitionHash());
        Assert.Equal("4d80f1b902a7f2f8", new NetworkSpec("g_default").DefinitionHash());
        Assert.Equal("60608c15da7a6694", BuildSpecs.Hash(Full.Build!));
        var cron = DesiredJob.From(new CronJob(new ObjectMetadata("c", new Dictionary<string, string>(), new Dictionary<string, string>()), Cron, new SourceLocation("c.yaml", 1, 1)))!;
        Assert.Equal("7c65b1c54b3896ac", cron.TemplateHash);
        Assert.Equal("6e5097aa27f58070", cron.SpecHash);
        var job = DesiredJob.From(new Job(new ObjectMetadata("j", new Dictionary<string, string>(), new Dictionary<string, string>()), Template, new SourceLocation("j.yaml", 1, 1)))!;
        Assert.Equal("7c65b1c54b3896ac", job.SpecHash);
    }

    [Fact]
    public void The_applied_spec_json_is_unchanged()
    {
        Assert.Equal("""
            {"image":"busybox:1.35","imagePullPolicy":"ifNotPresent","env":{},"ports":[],"mounts":[],"labels":{},"restart":{"mode":"no","maxRetries":0},"resources":{},"readOnlyRootFilesystem":false,"capAdd":[],"capDrop":[],"noNewPrivileges":false,"extraHosts":[],"networkAliases":[],"init":false,"privileged":false,"devices":[],"deviceCgroupRules":[],"gpus":[],"securityOpt":[],"sysctls":{},"volumesFrom":[],"groupAdd":[],"fileDigests":{}}
            """, SpecDiff.Serialize(Minimal));
        Assert.Equal("""
            {"image":"registry.local:5000/app:1.2","imagePullPolicy":"always","build":{"context":"/srv/m/app","dockerfile":"Dockerfile.prod","args":{"V":"1"},"target":"final","labels":{"l":"v"},"contextDigest":"abcdef0123456789","cacheFrom":["app:cache"]},"command":["sh","-c","echo \u0022hi\u0022 \u003C\u0026\u003E \u00E9"],"entrypoint":["/init"],"workingDir":"/w","user":"1000:1000","hostname":"h","env":{"A":"1","SECRET":"(secret sha256:4e738ca5563c)"},"ports":[{"hostIp":"127.0.0.1","hostPort":8080,"containerPort":80,"protocol":"tcp"},{"containerPort":53,"protocol":"udp"}],"mounts":[{"type":"volume","source":"g_data","target":"/data","readOnly":false},{"type":"bind","source":"/srv/m/conf","target":"/conf","readOnly":true},{"type":"tmpfs","target":"/tmp","readOnly":false,"sizeBytes":1048576},{"type":"volume","source":"ext","target":"/ext","readOnly":false,"external":true}],"labels":{"app":"web","com.docker.compose.project.config_files":"/srv/m/compose.yaml","com.docker.compose.project.working_dir":"/srv/m"},"restart":{"mode":"onFailure","maxRetries":3},"healthcheck":{"test":["CMD","true"],"interval":"00:00:05","timeout":"00:00:01.5000000","retries":3,"startPeriod":"00:01:00","disabled":false},"resources":{"memoryBytes":67108864,"nanoCpus":500000000,"pidsLimit":100,"memoryReservationBytes":33554432,"cpuShares":512},"readOnlyRootFilesystem":true,"capAdd":["NET_ADMIN"],"capDrop":["ALL"],"noNewPrivileges":true,"stopSignal":"SIGKILL","stopGracePeriod":"00:00:02","logging":{"driver":"json-file","options":{"max-size":"1m"}},"extraHosts":["host:10.0.0.1"],"networkAliases":["web"],"networks":[{"key":"front","name":"p_front","aliases":["w"],"ipv4Address":"10.1.0.5","priority":2,"linkLocalIps":["169.254.1.1"]}],"init":true,"privileged":true,"networkMode":"bridge","pidMode":"host","ipcMode":"private","utsMode":"host","usernsMode":"host","cgroupnsMode":"private","devices":["/dev/null:/dev/null"],"deviceCgroupRules":["c 1:3 r"],"gpus":["all"],"securityOpt":["no-new-privileges"],"sysctls":{"net.core.somaxconn":"1024"},"volumesFrom":["other"],"groupAdd":["10"],"domainname":"example.org","dns":["1.1.1.1"],"dnsSearch":["example.org"],"dnsOptions":["ndots:1"],"ulimits":[{"name":"nofile","soft":1024,"hard":2048}],"shmSizeBytes":67108864,"expose":["8080/tcp"],"fileDigests":{"/srv/m/.env":"0123"}}
            """, SpecDiff.Serialize(Full));
    }
}
