using Agent.Core.Model;
using System.Globalization;
using System.Text.Json;
using Docker.DotNet.Models;

namespace Agent.Engine;

/// <summary>Turns Docker.DotNet's models into the agent's own records.</summary>
internal static class EngineMapping
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    public static IReadOnlyDictionary<string, string> Labels(IDictionary<string, string>? labels) =>
        labels is null ? NoLabels : new Dictionary<string, string>(labels, StringComparer.Ordinal);

    public static ContainerSummary ToSummary(ContainerListResponse c) => new(
        c.ID,
        c.Names?.FirstOrDefault()?.TrimStart('/') ?? c.ID[..12],
        c.Image,
        ParseState(c.State),
        c.Health is { Status: { Length: > 0 } health } ? ParseHealth(health) : HealthFromStatus(c.Status),
        ListedStatus(c.State, c.Status),
        ExitCodeFromStatus(c.Status),
        new DateTimeOffset(DateTime.SpecifyKind(c.Created, DateTimeKind.Utc)),
        Labels(c.Labels))
    {
        Ports = (c.Ports ?? [])
            .Select(p => new PublishedPort(p.PrivatePort, string.IsNullOrEmpty(p.Type) ? "tcp" : p.Type,
                string.IsNullOrEmpty(p.IP) ? null : p.IP, p.PublicPort == 0 ? null : p.PublicPort))
            .Distinct()
            .OrderBy(p => p.ContainerPort).ThenBy(p => p.HostIp, StringComparer.Ordinal)
            .ToList(),
        NetworkIds = c.NetworkSettings?.Networks is { } networks ? NetworkIds(networks) : null,
        NetworkMode = string.IsNullOrEmpty(c.HostConfig?.NetworkMode) ? null : c.HostConfig.NetworkMode,
        HasBinds = (c.Mounts ?? []).Any(m => m.Type == "bind"),
        WritableBinds = (c.Mounts ?? []).Where(m => m.Type == "bind" && m.RW && !string.IsNullOrEmpty(m.Source)).Select(m => m.Source).ToList(),
    };

    /// <summary>The list's status without the engine's relative age ("Up 3 seconds" changes by itself).</summary>
    internal static string ListedStatus(string? state, string? status) => ContainerSummary.StatusOf(ParseState(state), ExitCodeFromStatus(status));

    private static HashSet<string> NetworkIds(IDictionary<string, EndpointSettings> networks) =>
        networks.Values.Select(n => n.NetworkID).Where(id => !string.IsNullOrEmpty(id)).ToHashSet(StringComparer.Ordinal);

    public static ContainerDetails ToDetails(ContainerInspectResponse c) => new(
        c.ID,
        c.Name.TrimStart('/'),
        c.Config?.Image ?? "",
        c.Image,
        ParseState(c.State?.Status),
        c.State?.Health is { } health ? ParseHealth(health.Status) : HealthState.None,
        // A restarting container has exited (its last exit code) and is about to run again.
        c.State is { Running: false } or { Restarting: true } && c.State.FinishedAt is { } finished && !finished.StartsWith("0001", StringComparison.Ordinal) ? (int)c.State.ExitCode : null,
        c.State?.OOMKilled ?? false,
        c.RestartCount,
        new DateTimeOffset(DateTime.SpecifyKind(c.Created, DateTimeKind.Utc)),
        ParseTime(c.State?.StartedAt),
        ParseTime(c.State?.FinishedAt),
        string.IsNullOrEmpty(c.State?.Error) ? null : c.State.Error,
        Labels(c.Config?.Labels),
        (c.Config?.Cmd ?? []).ToList(),
        (c.Config?.Env ?? []).ToList(),
        (c.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>())
            .ToDictionary(n => n.Key, n => n.Value.IPAddress ?? ""),
        (c.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>())
            .SelectMany(p => (p.Value ?? [null!]).Select(b => ToPort(p.Key, b)))
            .ToList())
    {
        User = c.Config?.User ?? "",
        NetworkIds = NetworkIds(c.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>()),
        RestartPolicy = ToRestartPolicy(c.HostConfig?.RestartPolicy),
        Capabilities = Core.Security.EffectiveCapabilities.Of(c.HostConfig?.Privileged == true, null, c.HostConfig?.CapAdd, c.HostConfig?.CapDrop),
        TmpfsMounts = (c.HostConfig?.Tmpfs?.Keys ?? Enumerable.Empty<string>())
            .Concat((c.Mounts ?? []).Where(m => m.Type == "tmpfs").Select(m => m.Destination))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        Pid = c.State?.Pid ?? 0,
        Binds = (c.Mounts ?? []).Where(m => m.Type == "bind" && !string.IsNullOrEmpty(m.Source)).Select(m => new BindMount(m.Source, m.Destination, m.RW)).ToList(),
        LastHealthCheck = c.State?.Health?.Log is { Count: > 0 } log ? HealthCheckText(log[^1].ExitCode, log[^1].Output) : null,
        LastHealthCheckEnd = c.State?.Health?.Log is { Count: > 0 } checks && checks[^1].End is var end && end != default
            ? new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc)) : null,
    };

    /// <summary>One healthcheck result for people: "exit code 1: wget: can't connect to remote host", on one line, at most
    /// 200 characters of output (a check can print a whole page).</summary>
    public static string HealthCheckText(long exitCode, string? output)
    {
        var text = string.Join(" ", (output ?? "").Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        text = Core.TerminalText.Escape(text);
        if (text.Length > 200) text = text[..200] + "...";
        return text.Length == 0 ? $"exit code {exitCode}, no output" : $"exit code {exitCode}: {text}";
    }

    private static Core.Model.RestartPolicy ToRestartPolicy(Docker.DotNet.Models.RestartPolicy? policy) => policy?.Name switch
    {
        RestartPolicyKind.Always => Core.Model.RestartPolicy.Always,
        RestartPolicyKind.UnlessStopped => new Core.Model.RestartPolicy(RestartMode.UnlessStopped),
        RestartPolicyKind.OnFailure => new Core.Model.RestartPolicy(RestartMode.OnFailure, (int)policy.MaximumRetryCount),
        _ => Core.Model.RestartPolicy.No,
    };

    private static PublishedPort ToPort(string key, PortBinding? binding)
    {
        var slash = key.IndexOf('/');
        var port = int.Parse(slash < 0 ? key : key[..slash], CultureInfo.InvariantCulture);
        var protocol = slash < 0 ? "tcp" : key[(slash + 1)..];
        int? hostPort = int.TryParse(binding?.HostPort, CultureInfo.InvariantCulture, out var hp) ? hp : null;
        return new PublishedPort(port, protocol, binding?.HostIP, hostPort);
    }

    public static ContainerStats ToStats(string id, ContainerStatsResponse s)
    {
        double cpu = 0;
        var cpuDelta = (double)(s.CPUStats?.CPUUsage?.TotalUsage ?? 0) - (s.PreCPUStats?.CPUUsage?.TotalUsage ?? 0);
        var systemDelta = (double)(s.CPUStats?.SystemUsage ?? 0) - (s.PreCPUStats?.SystemUsage ?? 0);
        var cpus = s.CPUStats?.OnlineCPUs ?? (uint)(s.CPUStats?.CPUUsage?.PercpuUsage?.Count ?? 1);
        if (cpuDelta > 0 && systemDelta > 0) cpu = cpuDelta / systemDelta * cpus * 100.0;
        var networks = s.Networks?.Values ?? [];
        return new ContainerStats(
            id,
            new DateTimeOffset(DateTime.SpecifyKind(s.Read, DateTimeKind.Utc)),
            Math.Round(cpu, 3),
            s.MemoryStats?.Usage ?? 0,
            s.MemoryStats?.Limit ?? 0,
            s.PidsStats?.Current ?? 0,
            (ulong)networks.Sum(n => (decimal)n.RxBytes),
            (ulong)networks.Sum(n => (decimal)n.TxBytes));
    }

    public static EngineEvent ToEvent(Message m) => new(
        m.Type ?? "",
        m.Action ?? "",
        m.Actor?.ID ?? "",
        Labels(m.Actor?.Attributes),
        m.TimeNano is { } nanos ? DateTimeOffset.FromUnixTimeMilliseconds(nanos / 1_000_000)
            : m.Time is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UtcNow);

    /// <summary>Seconds.nanoseconds since the epoch, as the events API takes `since`; null stays null.</summary>
    public static string? UnixTime(DateTimeOffset? time) =>
        time is { } t ? $"{t.ToUnixTimeSeconds()}.{(t.UtcTicks % TimeSpan.TicksPerSecond) * 100:D9}" : null;

    public static ContainerState ParseState(string? state) => state switch
    {
        "created" => ContainerState.Created,
        "running" => ContainerState.Running,
        "paused" => ContainerState.Paused,
        "restarting" => ContainerState.Restarting,
        "removing" => ContainerState.Removing,
        "exited" => ContainerState.Exited,
        "dead" => ContainerState.Dead,
        _ => ContainerState.Unknown,
    };

    private static HealthState ParseHealth(string? health) => health switch
    {
        "starting" => HealthState.Starting,
        "healthy" => HealthState.Healthy,
        "unhealthy" => HealthState.Unhealthy,
        _ => HealthState.None,
    };

    // Engines before API 1.52 report health in the list only inside the status text: "Up 3 seconds (healthy)".
    private static HealthState HealthFromStatus(string? status) =>
        status is null ? HealthState.None
        : status.Contains("(healthy)", StringComparison.Ordinal) ? HealthState.Healthy
        : status.Contains("(unhealthy)", StringComparison.Ordinal) ? HealthState.Unhealthy
        : status.Contains("(health: starting)", StringComparison.Ordinal) ? HealthState.Starting
        : HealthState.None;

    // "Exited (137) 3 seconds ago": the list call's only word on the exit code.
    private static int? ExitCodeFromStatus(string? status)
    {
        // "Restarting (3) 1 second ago" too: a crash loop's last exit code.
        var open = status?.StartsWith("Exited (", StringComparison.Ordinal) == true ? 8 : status?.StartsWith("Restarting (", StringComparison.Ordinal) == true ? 12 : 0;
        if (open == 0) return null;
        var close = status!.IndexOf(')', open);
        return close > open && int.TryParse(status[open..close], CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    private static DateTimeOffset? ParseTime(string? value) =>
        value is not null && !value.StartsWith("0001", StringComparison.Ordinal)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    public static string ErrorMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return "no message";
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("message", out var message)) return message.GetString() ?? body;
        }
        catch (JsonException)
        {
        }
        return body.Trim();
    }
}
