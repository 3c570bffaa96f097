namespace Agent.Core.Model;

/// <summary>How the agent names what it creates, like Compose: {group}-{service}-{replica}, network {group}_default.</summary>
public static class ContainerNames
{
    public static string Replica(string group, string service, int replica) => $"{group}-{service}-{replica}";
    public static string Network(string group) => $"{group}_default";
}
