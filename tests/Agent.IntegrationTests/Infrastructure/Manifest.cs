namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Small ServiceGroup manifests and compose services for tests: busybox services that stop at once (SIGKILL).</summary>
public static class Manifest
{
    public static string Group(string name, string services, string extraSpec = "") =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n{extraSpec}  services:\n{services}";

    public static string Sleeper(string name, string extra = "") =>
        $"    - name: {name}\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n{extra}";

    public static string Web(string name, string extra = "") =>
        $"    - name: {name}\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www\"]\n      stopSignal: SIGKILL\n{extra}";

    /// <summary>A compose file's service (under services:) that sleeps.</summary>
    public static string ComposeSleeper(string name, string extra = "") =>
        $"  {name}:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n{extra}";

    /// <summary>A compose file: db ignores SIGTERM (busybox sleep), so its stop takes the whole <paramref name="grace"/>, and
    /// has a healthcheck; app (stopped at once) depends on db being healthy.</summary>
    public static string ComposeSlowDbAndApp(string grace) => "services:\n"
        + $"  db:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: {grace}\n"
        + "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n"
        + $"  app:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    depends_on:\n      db: {{ condition: service_healthy }}\n";
}
