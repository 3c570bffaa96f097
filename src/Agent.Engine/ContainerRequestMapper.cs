using System.Globalization;
using Agent.Core.Model;
using Docker.DotNet.Models;

namespace Agent.Engine;

/// <summary>Builds the engine's create request from the agent's validated model, field by field.
/// Nothing from a client's JSON is ever forwarded.</summary>
internal static class ContainerRequestMapper
{
    public static CreateContainerParameters ToCreateParameters(ContainerCreateRequest request)
    {
        var spec = request.Spec;
        var exposed = (spec.Expose ?? []).ToDictionary(e => e, _ => default(EmptyStruct));
        var bindings = new Dictionary<string, IList<PortBinding>>();
        foreach (var port in spec.Ports)
        {
            var key = $"{port.ContainerPort}/{port.Protocol}";
            exposed[key] = default;
            if (!bindings.TryGetValue(key, out var list)) bindings[key] = list = new List<PortBinding>();
            list.Add(new PortBinding
            {
                HostIP = port.HostIp ?? "",
                HostPort = port.HostPort?.ToString(CultureInfo.InvariantCulture) ?? "",
            });
        }

        var host = new HostConfig
        {
            PortBindings = bindings,
            RestartPolicy = ToRestartPolicy(spec.Restart),
            AutoRemove = request.AutoRemove,
            Mounts = spec.Mounts.Where(m => m.Type != MountType.Tmpfs).Select(ToMount).ToList(),
            Tmpfs = spec.Mounts.Where(m => m.Type == MountType.Tmpfs).ToDictionary(m => m.Target, TmpfsOptions),
            ReadonlyRootfs = spec.ReadOnlyRootFilesystem,
            CapAdd = spec.CapAdd.ToList(),
            CapDrop = spec.CapDrop.ToList(),
            SecurityOpt = spec.SecurityOpt.Concat(spec.NoNewPrivileges ? ["no-new-privileges:true"] : []).ToList(),
            ExtraHosts = spec.ExtraHosts.ToList(),
            Memory = spec.Resources.MemoryBytes ?? 0,
            NanoCPUs = spec.Resources.NanoCpus ?? 0,
            PidsLimit = spec.Resources.PidsLimit,
            Privileged = spec.Privileged,
            NetworkMode = spec.NetworkMode ?? request.Endpoints?.FirstOrDefault()?.Address ?? request.Network ?? "",
            PidMode = spec.PidMode ?? "",
            IpcMode = spec.IpcMode ?? "",
            UTSMode = spec.UtsMode ?? "",
            UsernsMode = spec.UsernsMode ?? "",
            CgroupnsMode = spec.CgroupnsMode ?? "",
            Devices = spec.Devices.Select(ToDevice).ToList(),
            DeviceCgroupRules = spec.DeviceCgroupRules.ToList(),
            Sysctls = spec.Sysctls.ToDictionary(),
            VolumesFrom = spec.VolumesFrom.ToList(),
            GroupAdd = spec.GroupAdd.ToList(),
            Init = spec.Init ? true : null,
            MemoryReservation = spec.Resources.MemoryReservationBytes ?? 0,
            CPUShares = spec.Resources.CpuShares ?? 0,
            DNS = spec.Dns?.ToList()!,
            DNSSearch = spec.DnsSearch?.ToList()!,
            DNSOptions = spec.DnsOptions?.ToList()!,
            Ulimits = spec.Ulimits?.Select(u => new Ulimit { Name = u.Name, Soft = u.Soft, Hard = u.Hard }).ToList()!,
            ShmSize = spec.ShmSizeBytes ?? 0,
            LogConfig = spec.Logging is null ? null! : new LogConfig { Type = spec.Logging.Driver, Config = spec.Logging.Options.ToDictionary() },
        };

        var parameters = new CreateContainerParameters
        {
            Name = request.Name,
            Image = spec.Image,
            Cmd = spec.Command?.ToList()!,
            Tty = spec.Tty == true,
            OpenStdin = spec.OpenStdin == true,
            Entrypoint = spec.Entrypoint?.ToList()!,
            WorkingDir = spec.WorkingDir ?? "",
            User = spec.User ?? "",
            Hostname = spec.Hostname ?? "",
            Domainname = spec.Domainname ?? "",
            Env = spec.Env.Select(kv => $"{kv.Key}={kv.Value}").ToList(),
            Labels = spec.Labels.Concat(request.Labels).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            ExposedPorts = exposed,
            StopSignal = spec.StopSignal ?? "",
            StopTimeout = spec.StopGracePeriod,
            Healthcheck = spec.Healthcheck is { } hc ? new HealthcheckConfig
            {
                Test = hc.Test.ToList(),
                Interval = hc.Interval,
                Timeout = hc.Timeout,
                Retries = hc.Retries,
                StartPeriod = hc.StartPeriod,
            } : null,
            HostConfig = host,
        };

        if (request.Endpoints is [var first, ..] && spec.NetworkMode is null)
        {
            // API 1.41 takes one endpoint at create; the others are connected before the start (DockerEngine).
            parameters.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings> { [first.Address] = ToEndpoint(first, request.Aliases) },
            };
        }
        else if (request.Network is { } network && spec.NetworkMode is null)
        {
            parameters.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings>
                {
                    [network] = new() { Aliases = spec.NetworkAliases.Concat(request.Aliases).Distinct().ToList() },
                },
            };
        }
        return parameters;
    }

    public static EndpointSettings ToEndpoint(NetworkEndpoint endpoint, IReadOnlyList<string> commonAliases) => new()
    {
        Aliases = commonAliases.Concat(endpoint.Aliases).Distinct().ToList(),
        IPAMConfig = endpoint.Ipv4Address is null && endpoint.Ipv6Address is null && endpoint.LinkLocalIps is null ? null! : new EndpointIPAMConfig
        {
            IPv4Address = endpoint.Ipv4Address ?? "",
            IPv6Address = endpoint.Ipv6Address ?? "",
            LinkLocalIPs = endpoint.LinkLocalIps?.ToList()!,
        },
    };

    public static NetworksCreateParameters ToNetworkParameters(string name, Core.Model.NetworkSpec definition, IReadOnlyDictionary<string, string> labels) => new()
    {
        Name = name,
        Driver = definition.Driver,
        Options = definition.DriverOptions.ToDictionary(),
        Internal = definition.Internal,
        Attachable = definition.Attachable,
        EnableIPv6 = definition.EnableIpv6,
        Labels = definition.Labels.Concat(labels).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value),
        IPAM = definition.Ipam is not { } ipam ? null! : new IPAM
        {
            Driver = ipam.Driver ?? "default",
            Options = ipam.Options.ToDictionary(),
            Config = ipam.Pools.Select(p => new IPAMConfig
            {
                Subnet = p.Subnet ?? "",
                Gateway = p.Gateway ?? "",
                IPRange = p.IpRange ?? "",
                AuxAddress = p.AuxAddresses.ToDictionary(),
            }).ToList(),
        },
    };

    internal static Docker.DotNet.Models.RestartPolicy ToRestartPolicy(Core.Model.RestartPolicy policy) => new()
    {
        Name = policy.Mode switch
        {
            RestartMode.Always => RestartPolicyKind.Always,
            RestartMode.OnFailure => RestartPolicyKind.OnFailure,
            RestartMode.UnlessStopped => RestartPolicyKind.UnlessStopped,
            _ => RestartPolicyKind.No,
        },
        MaximumRetryCount = policy.Mode == RestartMode.OnFailure ? policy.MaxRetries : 0,
    };

    private static string TmpfsOptions(MountSpec mount) =>
        string.Join(",", new[] { mount.ReadOnly ? "ro" : null, mount.SizeBytes is { } size ? $"size={size.ToString(CultureInfo.InvariantCulture)}" : null }.OfType<string>());

    private static Mount ToMount(MountSpec mount) => new()
    {
        Type = mount.Type == MountType.Bind ? "bind" : "volume",
        Source = mount.Source ?? "",
        Target = mount.Target,
        ReadOnly = mount.ReadOnly,
    };

    private static DeviceMapping ToDevice(string device)
    {
        var parts = device.Split(':');
        return new DeviceMapping
        {
            PathOnHost = parts[0],
            PathInContainer = parts.Length > 1 ? parts[1] : parts[0],
            CgroupPermissions = parts.Length > 2 ? parts[2] : "rwm",
        };
    }
}
