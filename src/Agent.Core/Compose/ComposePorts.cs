using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>Compose ports, short ("127.0.0.1:8080-8081:80-81/udp") and long syntax (target, published as a
/// number, string or range, host_ip, protocol, mode).</summary>
internal static class ComposePorts
{
    public static IReadOnlyList<PortMapping> Read(ComposeCursor cursor, int replicas)
    {
        var result = new List<PortMapping>();
        foreach (var item in cursor.Sequence())
        {
            IReadOnlyList<PortMapping>? mappings;
            if (item.IsMapping) mappings = Long(item);
            else
            {
                var text = item.Scalar();
                if (text is null) continue;
                mappings = PortSyntax.Parse(text, out var error);
                if (mappings is null) item.Error(error!);
            }
            if (mappings is null) continue;
            if (replicas > 1 && mappings.Any(m => m.HostPort is not null))
                item.Error($"a fixed host port cannot be published by {replicas} replicas: leave the host port out for ephemeral ports");
            result.AddRange(mappings);
        }
        return result;
    }

    private static IReadOnlyList<PortMapping>? Long(ComposeCursor item)
    {
        var f = item.Mapping(["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"], "port field");
        if (f is null) return null;
        if (!f.TryGetValue("target", out var t)) { item.Error("missing \"target\""); return null; }
        if (f.TryGetValue("mode", out var mode) && mode.Scalar() is { } m && m is not ("host" or "ingress")) mode.Error($"mode \"{m}\" is not host or ingress");
        foreach (var key in new[] { "name", "app_protocol" })
            if (f.TryGetValue(key, out var unsupported)) unsupported.Error($"{key} is not supported by the agent");
        var target = t.Scalar();
        var published = f.TryGetValue("published", out var p) ? p.Scalar() : null;
        var hostIp = f.TryGetValue("host_ip", out var h) ? h.Scalar() : null;
        var protocol = f.TryGetValue("protocol", out var pr) ? pr.Scalar() ?? "tcp" : "tcp";
        if (target is null) return null;
        var ip = hostIp is null ? "" : hostIp.Contains(':') ? $"[{hostIp}]:" : hostIp + ":";
        var text = published is null ? $"{ip}{(ip.Length > 0 ? ":" : "")}{target}/{protocol}" : $"{ip}{published}:{target}/{protocol}";
        var mappings = PortSyntax.Parse(text, out var error);
        if (mappings is null) item.Error(error!);
        return mappings;
    }
}
