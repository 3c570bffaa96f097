using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// The named volumes a run, a Job or a CronJob owns: those its container mounts by name that are not declared external.
/// They are made with the owner's labels before its container's create, so the engine never makes them implicitly,
/// unlabelled. (A ServiceGroup's or project's volumes are planned: <see cref="PlanExecutor"/>.)
/// </summary>
public static class OwnVolumes
{
    public static IEnumerable<string> NamesOf(ContainerSpec spec) =>
        spec.Mounts.Where(m => m is { Type: MountType.Volume, Source: not null, External: false }).Select(m => m.Source!);

    /// <summary>Creates those of the spec's own volumes that do not exist yet, adding each one made to
    /// <paramref name="created"/> as soon as it is made (so a caller can undo a half-done run). One that exists already
    /// is left to the admission to judge, never adopted here.</summary>
    public static async Task CreateMissingAsync(IContainerEngine engine, ContainerSpec spec, IReadOnlyDictionary<string, string> labels,
        ICollection<string>? created, CancellationToken ct)
    {
        foreach (var name in NamesOf(spec))
        {
            if (await engine.InspectVolumeAsync(name, ct) is not null) continue;
            await engine.CreateVolumeAsync(name, "local", new Dictionary<string, string>(), labels, ct);
            created?.Add(name);
        }
    }
}
