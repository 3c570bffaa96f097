namespace Agent.Core.Security;

public enum FieldDecision
{
    /// <summary>Cannot reach beyond the container (or is the agent's own bookkeeping): passed as written.</summary>
    Allowed,

    /// <summary>Judged by a rule of the policy; the reason names it.</summary>
    Judged,

    /// <summary>Always refused when set; no setting relaxes it.</summary>
    Refused,
}

/// <summary>
/// The policy's decision for every field of <see cref="Model.ContainerSpec"/> and of the records inside it, by path
/// (`Mounts[].Source`). A unit test walks the model by reflection and fails for a field without a decision here, so
/// a field added to the model cannot reach the engine unjudged.
/// </summary>
public static class FieldDecisions
{
    public static readonly IReadOnlyDictionary<string, (FieldDecision Decision, string Why)> ContainerSpec =
        new Dictionary<string, (FieldDecision, string)>(StringComparer.Ordinal)
        {
            ["Image"] = (FieldDecision.Judged, "AllowedImages globs; no control characters"),
            ["ImagePullPolicy"] = (FieldDecision.Allowed, "when to pull, not what runs"),
            ["Build"] = (FieldDecision.Allowed, "how the image is made: the image built is judged as Image; never sent with the container"),
            ["Build.Context"] = (FieldDecision.Allowed, "confined at load to the manifests folder or Agent:Security:AllowedFileRoots (symlinks resolved), size-limited; only read into the build"),
            ["Build.Dockerfile"] = (FieldDecision.Allowed, "a path inside the context tar"),
            ["Build.DockerfileInline"] = (FieldDecision.Allowed, "Dockerfile text"),
            ["Build.Args"] = (FieldDecision.Allowed, "build arguments, seen only by the builder"),
            ["Build.Target"] = (FieldDecision.Allowed, "a stage of the Dockerfile"),
            ["Build.Labels"] = (FieldDecision.Allowed, "labels of the image"),
            ["Build.ContextDigest"] = (FieldDecision.Allowed, "the agent's own bookkeeping for the spec hash"),
            ["Command"] = (FieldDecision.Allowed, "runs inside the container; NUL refused at parse"),
            ["Entrypoint"] = (FieldDecision.Allowed, "runs inside the container; NUL refused at parse"),
            ["WorkingDir"] = (FieldDecision.Judged, "absolute, not under /proc, /sys or /dev"),
            ["User"] = (FieldDecision.Judged, "Restricted: numeric non-zero uid and gid, no privileged group"),
            ["Hostname"] = (FieldDecision.Allowed, "the container's own UTS name"),
            ["Env"] = (FieldDecision.Allowed, "names checked at parse; envFrom files confined to the manifests folder"),
            ["Ports"] = (FieldDecision.Allowed, "publishing; API runs default to 127.0.0.1"),
            ["Ports[].HostIp"] = (FieldDecision.Allowed, "an address of the host to publish on"),
            ["Ports[].HostPort"] = (FieldDecision.Allowed, "a host port"),
            ["Ports[].ContainerPort"] = (FieldDecision.Allowed, "a container port"),
            ["Ports[].Protocol"] = (FieldDecision.Allowed, "tcp, udp or sctp (checked at parse)"),
            ["Mounts"] = (FieldDecision.Judged, "each mount below"),
            ["Mounts[].Type"] = (FieldDecision.Allowed, "bind, volume or tmpfs: the other fields are judged per type"),
            ["Mounts[].Source"] = (FieldDecision.Judged, "binds: sensitive and private host paths, Restricted allow-list; volumes: own or allowed external, driver and options inspected before create"),
            ["Mounts[].CreateSource"] = (FieldDecision.Allowed, "set by the loader only for relative binds inside the manifests folder: the agent creates that folder"),
            ["Mounts[].Target"] = (FieldDecision.Judged, "absolute, not /, not under /proc, /sys or /dev"),
            ["Mounts[].ReadOnly"] = (FieldDecision.Allowed, "only narrows"),
            ["Mounts[].External"] = (FieldDecision.Judged, "AllowedExternalVolumes"),
            ["Labels"] = (FieldDecision.Allowed, "the agent's own labels always override"),
            ["Restart"] = (FieldDecision.Allowed, "restart policy"),
            ["Restart.Mode"] = (FieldDecision.Allowed, "restart policy"),
            ["Restart.MaxRetries"] = (FieldDecision.Allowed, "restart policy"),
            ["Healthcheck"] = (FieldDecision.Allowed, "runs inside the container"),
            ["Healthcheck.Test"] = (FieldDecision.Allowed, "runs inside the container"),
            ["Healthcheck.Interval"] = (FieldDecision.Allowed, "timing"),
            ["Healthcheck.Timeout"] = (FieldDecision.Allowed, "timing"),
            ["Healthcheck.Retries"] = (FieldDecision.Allowed, "timing"),
            ["Healthcheck.StartPeriod"] = (FieldDecision.Allowed, "timing"),
            ["Healthcheck.Disabled"] = (FieldDecision.Allowed, "derived from Test"),
            ["Resources"] = (FieldDecision.Allowed, "only limits"),
            ["Resources.MemoryBytes"] = (FieldDecision.Allowed, "a limit"),
            ["Resources.NanoCpus"] = (FieldDecision.Allowed, "a limit"),
            ["Resources.PidsLimit"] = (FieldDecision.Allowed, "a limit"),
            ["ReadOnlyRootFilesystem"] = (FieldDecision.Judged, "Restricted requires it"),
            ["CapAdd"] = (FieldDecision.Judged, "AllowedCapabilities"),
            ["CapDrop"] = (FieldDecision.Judged, "Restricted requires ALL"),
            ["NoNewPrivileges"] = (FieldDecision.Judged, "Restricted requires it"),
            ["StopSignal"] = (FieldDecision.Allowed, "a signal to the container"),
            ["StopGracePeriod"] = (FieldDecision.Allowed, "timing"),
            ["Logging"] = (FieldDecision.Judged, "log driver allow-list"),
            ["Logging.Driver"] = (FieldDecision.Judged, "AllowedLogDrivers (json-file, local, none)"),
            ["Logging.Options"] = (FieldDecision.Judged, "option keys per driver"),
            ["ExtraHosts"] = (FieldDecision.Allowed, "the container's /etc/hosts"),
            ["NetworkAliases"] = (FieldDecision.Allowed, "names on the group's network"),
            ["Init"] = (FieldDecision.Allowed, "the engine's tini as PID 1"),
            ["Privileged"] = (FieldDecision.Refused, "always"),
            ["NetworkMode"] = (FieldDecision.Judged, "bridge/none/default or the agent's own containers"),
            ["PidMode"] = (FieldDecision.Judged, "only the agent's own containers"),
            ["IpcMode"] = (FieldDecision.Judged, "private/shareable/none or the agent's own containers"),
            ["UtsMode"] = (FieldDecision.Judged, "only the agent's own containers"),
            ["UsernsMode"] = (FieldDecision.Refused, "always"),
            ["CgroupnsMode"] = (FieldDecision.Judged, "private only"),
            ["Devices"] = (FieldDecision.Judged, "AllowDevices"),
            ["DeviceCgroupRules"] = (FieldDecision.Judged, "AllowDevices"),
            ["Gpus"] = (FieldDecision.Judged, "AllowDevices"),
            ["SecurityOpt"] = (FieldDecision.Judged, "no-new-privileges and AllowedSecurityOpts"),
            ["Sysctls"] = (FieldDecision.Judged, "namespaced safe set and AllowedSysctls"),
            ["VolumesFrom"] = (FieldDecision.Judged, "only the agent's own containers"),
            ["GroupAdd"] = (FieldDecision.Judged, "Restricted: no group 0 or privileged group"),
            ["Dns"] = (FieldDecision.Allowed, "the container's resolv.conf"),
            ["DnsSearch"] = (FieldDecision.Allowed, "the container's resolv.conf"),
            ["DnsOptions"] = (FieldDecision.Allowed, "the container's resolv.conf"),
            ["Domainname"] = (FieldDecision.Allowed, "the container's own UTS domain name"),
            ["Expose"] = (FieldDecision.Allowed, "metadata: publishes nothing"),
            ["ShmSizeBytes"] = (FieldDecision.Allowed, "a size of the container's own /dev/shm"),
            ["Ulimits"] = (FieldDecision.Allowed, "resource limits of the container's processes; no capability comes with them"),
            ["Ulimits[].Name"] = (FieldDecision.Allowed, "a limit"),
            ["Ulimits[].Soft"] = (FieldDecision.Allowed, "a limit"),
            ["Ulimits[].Hard"] = (FieldDecision.Allowed, "a limit"),
            ["Resources.CpuShares"] = (FieldDecision.Allowed, "a weight"),
            ["Resources.MemoryReservationBytes"] = (FieldDecision.Allowed, "a soft limit"),
            ["Mounts[].SizeBytes"] = (FieldDecision.Allowed, "a tmpfs size limit"),
            ["FileDigests"] = (FieldDecision.Allowed, "the agent's own bookkeeping for the spec hash; never sent to the engine"),
            ["SecretEnv"] = (FieldDecision.Allowed, "the agent's own bookkeeping: which env values came from env files, masked in diffs and labels; never sent to the engine"),
            ["Files"] = (FieldDecision.Allowed, "read-only files (compose secrets and configs) copied into the container's own filesystem; nothing of the host is reached"),
            ["Files[].Target"] = (FieldDecision.Allowed, "a path inside the container's own filesystem"),
            ["Files[].Content"] = (FieldDecision.Allowed, "text from the manifest's own variables or content"),
        };
}
