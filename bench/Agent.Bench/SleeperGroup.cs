namespace Agent.Bench;

/// <summary>The benches' workload: a ServiceGroup of busybox sleepers, and the manifests and state folders an agent runs on.</summary>
internal static class SleeperGroup
{
    /// <summary>A ServiceGroup <paramref name="name"/> of one service, s, with <paramref name="replicas"/> sleeping replicas
    /// that stop at once (SIGKILL: the benches measure the agent, not a 10 s stop timeout).</summary>
    public static string Yaml(string name, int replicas = 1) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n" +
        $"      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n" + (replicas == 1 ? "" : $"      replicas: {replicas}\n");

    /// <summary>A fresh manifests folder and state dir, named after <paramref name="prefix"/>.</summary>
    public static (string Manifests, string State) Folders(string prefix) =>
        (Directory.CreateTempSubdirectory(prefix + "-").FullName, Directory.CreateTempSubdirectory(prefix + "-state-").FullName);
}
