using System.Globalization;
using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Compose's short port syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], with ranges.</summary>
public static class PortSyntax
{
    public static IReadOnlyList<PortMapping>? Parse(string text, out string? error)
    {
        error = null;
        var spec = text.Trim();
        var protocol = "tcp";
        var slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = spec[(slash + 1)..];
            spec = spec[..slash];
            if (protocol is not ("tcp" or "udp" or "sctp"))
            {
                error = $"{YamlCursor.Quote(text)}: protocol must be tcp, udp or sctp";
                return null;
            }
        }

        string? hostIp = null;
        if (spec.StartsWith('['))
        {
            var close = spec.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) return Fail(text, out error);
            hostIp = spec[1..close];
            spec = spec[(close + 2)..];
            if (!IsIp(hostIp)) return Fail(text, out error, $"{YamlCursor.Quote(text)}: \"{hostIp}\" is not an IP address");
            if (!spec.Contains(':')) spec = ":" + spec;
        }

        var parts = spec.Split(':');
        string? hostPart;
        string containerPart;
        switch (parts.Length)
        {
            case 1 when hostIp is null:
                hostPart = null; containerPart = parts[0]; break;
            case 2:
                hostPart = parts[0]; containerPart = parts[1]; break;
            case 3 when hostIp is null:
                hostIp = parts[0]; hostPart = parts[1]; containerPart = parts[2];
                if (!IsIp(hostIp)) return Fail(text, out error);
                break;
            default:
                return Fail(text, out error);
        }

        var container = Range(containerPart);
        if (container is null) return Fail(text, out error);
        (int From, int To)? host = string.IsNullOrEmpty(hostPart) ? null : Range(hostPart);
        if (!string.IsNullOrEmpty(hostPart) && host is null) return Fail(text, out error);
        var count = container.Value.To - container.Value.From + 1;
        if (host is { } h && h.To - h.From + 1 != count)
            return Fail(text, out error, $"{YamlCursor.Quote(text)}: host and container port ranges differ in length");

        var result = new List<PortMapping>(count);
        for (var i = 0; i < count; i++)
            result.Add(new PortMapping(hostIp, host is { } hp ? hp.From + i : null, container.Value.From + i, protocol));
        return result;
    }

    // IPAddress.TryParse also takes "80" (as 0.0.0.80): require the dotted or colon form.
    private static bool IsIp(string text) =>
        (text.Count(c => c == '.') == 3 || text.Contains(':')) && System.Net.IPAddress.TryParse(text, out _);

    private static (int From, int To)? Range(string text)
    {
        var dash = text.IndexOf('-');
        var from = Port(dash < 0 ? text : text[..dash]);
        var to = dash < 0 ? from : Port(text[(dash + 1)..]);
        return from is null || to is null || to < from ? null : (from.Value, to.Value);
    }

    private static int? Port(string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is >= 1 and <= 65535 ? port : null;

    private static IReadOnlyList<PortMapping>? Fail(string text, out string error, string? why = null)
    {
        error = why ?? $"{YamlCursor.Quote(text)} is not a port mapping (use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], ports 1-65535)";
        return null;
    }
}
