using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>
/// Log drivers send a container's output somewhere: syslog or fluentd to any address, gelf to a metadata endpoint.
/// Only allowed drivers pass (json-file, local and none by default), each with its own option keys.
/// </summary>
public static class LoggingRules
{
    /// <summary>The option keys each driver knows; a key outside its driver's list is refused.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> OptionKeys = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["json-file"] = ["max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag"],
        ["local"] = ["max-size", "max-file", "compress"],
        ["none"] = [],
        ["journald"] = ["tag", "labels", "labels-regex", "env", "env-regex"],
        ["syslog"] = ["syslog-address", "syslog-facility", "syslog-format", "syslog-tls-ca-cert", "syslog-tls-cert", "syslog-tls-key", "syslog-tls-skip-verify", "tag", "labels", "labels-regex", "env", "env-regex"],
        ["fluentd"] = ["fluentd-address", "fluentd-async", "fluentd-buffer-limit", "fluentd-retry-wait", "fluentd-max-retries", "fluentd-sub-second-precision", "fluentd-request-ack", "tag", "labels", "labels-regex", "env", "env-regex"],
        ["gelf"] = ["gelf-address", "gelf-compression-type", "gelf-compression-level", "gelf-tcp-max-reconnect", "gelf-tcp-reconnect-delay", "tag", "labels", "labels-regex", "env", "env-regex"],
    };

    public static void Check(List<Violation> v, LoggingSpec? logging, SecurityOptions options)
    {
        if (logging is null) return;
        var driver = logging.Driver;
        if (!options.AllowedLogDrivers.Contains(driver, StringComparer.Ordinal))
        {
            v.Add(new("logging.driver", $"log driver \"{driver}\" is not allowed: only {string.Join(", ", options.AllowedLogDrivers)} (Agent:Security:AllowedLogDrivers)"));
            return;
        }
        var keys = OptionKeys.TryGetValue(driver, out var known) ? known : [];
        foreach (var (key, value) in logging.Options.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!keys.Contains(key, StringComparer.Ordinal))
                v.Add(new($"logging.options.{key}", keys.Length == 0
                    ? $"log driver \"{driver}\" takes no options the agent knows"
                    : $"\"{key}\" is not an option of the {driver} log driver ({string.Join(", ", keys)})"));
            else if (ControlCharacters.In(value))
                v.Add(new($"logging.options.{key}", "the value contains a control character"));
        }
    }
}
