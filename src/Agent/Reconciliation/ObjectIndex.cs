using System.Collections.Immutable;
using Agent.Core.Model;

namespace Agent.Reconciliation;

/// <summary>A snapshot of the cache's entries grouped by their object (kind and object labels), made again only when the
/// snapshot it was made from is no longer the current one: planning N objects against M cached containers costs M, not N x M.</summary>
internal sealed class ObjectIndex<T>(AgentLabels labels)
{
    private sealed record Built(object Source, ILookup<ObjectKey, T> Lookup);

    private Built? built; // replaced whole, so a reader never sees a lookup paired with another source

    public IEnumerable<T> Of(ImmutableDictionary<string, T> source, ObjectKey key, Func<T, IReadOnlyDictionary<string, string>> labelsOf)
    {
        var index = built;
        if (index is null || !ReferenceEquals(index.Source, source))
        {
            index = new Built(source, source.Values.ToLookup(v => KeyOf(labelsOf(v))));
            built = index;
        }
        return index.Lookup[key];
    }

    private ObjectKey KeyOf(IReadOnlyDictionary<string, string> entryLabels) =>
        new(entryLabels.GetValueOrDefault(labels.Kind) ?? "", entryLabels.GetValueOrDefault(labels.Object) ?? "");
}
