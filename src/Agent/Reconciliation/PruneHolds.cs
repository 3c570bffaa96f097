using System.Text.Json;
using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>
/// The removals the mass-prune guard holds, kept in the state dir (<c>prune-held.json</c>) so that a hold outlives a
/// restart: an agent killed while the folder was half restored must not prune the rest at its next start.
/// </summary>
public sealed class PruneHolds(string stateDir, ILogger logger)
{
    public const string FileName = "prune-held.json";

    public string File { get; } = Path.Combine(stateDir, FileName);

    /// <summary>What the last run held; a torn file is moved aside and reads as nothing held (the guard's share still applies).</summary>
    public HashSet<ObjectKey> Load() => Parse(StateFile.ReadJson<List<string>>(File, logger));

    /// <summary>The same, for commands that only look (agent diff, apply): nothing is moved or written.</summary>
    public static HashSet<ObjectKey> Peek(string stateDir)
    {
        try
        {
            var path = Path.Combine(stateDir, FileName);
            return System.IO.File.Exists(path)
                ? Parse(JsonSerializer.Deserialize(System.IO.File.ReadAllText(path), Core.Json.CoreJson.Info<List<string>>(Http.AgentJson.State)))
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }

    /// <summary>Keeps <paramref name="held"/>; a state dir that cannot take it is logged, the hold stands in memory.</summary>
    public void Save(IReadOnlySet<ObjectKey> held)
    {
        try
        {
            StateFile.WriteJson(File, held.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList());
        }
        catch (StateWriteException e)
        {
            logger.LogWarning("The held removals cannot be kept in {File} ({Error}); they stay held while the agent runs", File, e.Message);
        }
    }

    private static HashSet<ObjectKey> Parse(List<string>? keys) =>
        (keys ?? []).Select(k => ObjectKey.TryParse(k, out var key) ? key : (ObjectKey?)null).OfType<ObjectKey>().ToHashSet();
}
