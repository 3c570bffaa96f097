using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>docker compose warns of each variable a project uses without a default that is not set ("Defaulting to a
/// blank string"); the agent's log and `agent validate` say it in these words (probe-31 F9: no word at all).</summary>
public static class UnsetVariablesWarning
{
    /// <summary>The warning for <paramref name="group"/>, or null when it uses no unset variable.</summary>
    public static string? Of(ObjectKey key, IManifestObject? group)
    {
        if (group is not ServiceGroup { Compose.UnsetVariables: { Count: > 0 } unset }) return null;
        var one = unset.Count == 1;
        return $"{key}: {(one ? "the variable" : "the variables")} {string.Join(", ", unset)} {(one ? "is" : "are")} not set; " +
               $"{(one ? "it reads" : "each reads")} as a blank string (set {(one ? "it" : "them")} in the project's .env, spec.environment or an env file, " +
               "or give a default: ${NAME:-default})";
    }
}
