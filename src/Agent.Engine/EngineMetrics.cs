using System.Diagnostics.Metrics;

namespace Agent.Engine;

/// <summary>Counts every engine call by operation and result (agent_engine_calls_total).</summary>
public static class EngineMetrics
{
    public const string MeterName = "Agent.Engine";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Calls = Meter.CreateCounter<long>(
        "agent.engine.calls", "{call}", "Docker Engine API calls made by the agent, by operation and result.");

    internal static void Record(string operation, string result) =>
        Calls.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("result", result));
}
