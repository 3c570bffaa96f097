namespace Agent.Core.Model;

/// <summary>A pull policy in the words of the manifest it came from: `imagePullPolicy IfNotPresent` in a ServiceGroup,
/// `pull_policy missing` in a compose file.</summary>
public static class PullPolicyWords
{
    public static string Of(PullPolicy policy, bool compose) => compose
        ? "pull_policy " + policy switch { PullPolicy.Always => "always", PullPolicy.Never => "never", _ => "missing" }
        : "imagePullPolicy " + policy;
}
