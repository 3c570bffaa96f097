namespace Agent.Cli;

/// <summary>
/// Where a one-shot command (diff, apply) takes its instance id from, the first that gives one: --instance, the
/// environment (AGENT_Agent__Instance) or appsettings.json, the `running` record of its state dir (given with --state-dir
/// or the default one), that state dir's `instance-id`; else the id is new (it owns nothing yet).
/// </summary>
public sealed record InstanceSource(string Description, bool IsNew)
{
    public static InstanceSource Of(string? flag, string? configured, bool fromEnvironment, string? running, string stateDir, bool instanceIdStored)
    {
        if (!string.IsNullOrWhiteSpace(flag)) return new("given with --instance", false);
        if (!string.IsNullOrWhiteSpace(configured))
            return new(fromEnvironment ? "from AGENT_Agent__Instance" : "from Agent:Instance in appsettings.json", false);
        if (!string.IsNullOrWhiteSpace(running))
            return new($"the instance the agent of state dir {stateDir} runs as: {Path.Combine(stateDir, Hosting.ServerFile.RunningName)}", false);
        if (instanceIdStored) return new($"stored in {Path.Combine(stateDir, "instance-id")}", false);
        return new($"a new instance (the state dir {stateDir} holds no instance-id)", true);
    }

    /// <summary>What to say before comparing with the engine, given how many containers and networks each instance of this
    /// label prefix owns there: an error when the instance is new while other instances own objects (the diff would show
    /// every object as created beside a running agent's), a warning when a known instance owns nothing while others do.</summary>
    public (string? Error, string? Warning) Judge(string instance, IReadOnlyDictionary<string, int> owners)
    {
        var others = owners.Where(o => o.Key != instance && o.Value > 0).ToList();
        if (others.Count == 0 || owners.GetValueOrDefault(instance) > 0) return (null, null);
        var named = others.OrderByDescending(o => o.Value).ThenBy(o => o.Key, StringComparer.Ordinal).Take(5).Select(o => $"{o.Key} ({o.Value})").ToList();
        var list = string.Join(", ", named) + (others.Count > named.Count ? $" and {others.Count - named.Count} more" : "");
        return IsNew
            ? ($"diff would compare as {Description}, which owns nothing on this engine, while other instances own containers or networks there: {list}. " +
               "Give the state dir of the agent to compare with (--state-dir DIR) or its instance (--instance ID).", null)
            : (null, $"instance {instance} owns no container or network on this engine; other instances do: {list}. " +
                     "If your agent runs as one of them, give its --state-dir or --instance.");
    }
}
