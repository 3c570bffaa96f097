using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>
/// The engine resolves a bind source again at create and at every start: a symlink swapped after the policy judged the
/// path would mount whatever it then points at (/etc, the engine's socket). So the engine is given the path the policy
/// judged, with every symlink already resolved, never the path as written. The spec hash stays that of the spec as
/// written: a container whose bind has no symlink is sent exactly what it was before.
/// </summary>
public static class BindPinning
{
    /// <summary>The spec with each bind source replaced by <paramref name="resolve"/>'s answer for it (the one the policy judged).</summary>
    public static ContainerSpec Pin(ContainerSpec spec, Func<string, string> resolve)
    {
        if (!spec.Mounts.Any(m => m is { Type: MountType.Bind, Source: not null })) return spec;
        return spec with
        {
            Mounts = spec.Mounts.Select(m => m is { Type: MountType.Bind, Source: { } source }
                ? m with { Source = HostPath.Normalize(resolve(HostPath.Normalize(source))) }
                : m).ToList(),
        };
    }

    /// <summary>A resolver that answers each path once: the policy's checks and the pinned spec see the same answer,
    /// even when a link changes between two of them.</summary>
    public static Func<string, string> Once(Func<string, string> resolve)
    {
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        return path => answers.TryGetValue(path, out var known) ? known : answers[path] = resolve(path);
    }
}
