using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>A limit of <see cref="ManifestLimits"/> crossed at <see cref="Mark"/>.</summary>
internal sealed class ManifestLimitException(Mark mark, string message) : Exception(message)
{
    public Mark Mark { get; } = mark;
}

/// <summary>What one file has spent of its alias and expansion budget, across its documents.</summary>
internal sealed class LoadBudget(ManifestLimits limits)
{
    public ManifestLimits Limits { get; } = limits;
    public int Aliases { get; set; }
    public long ExpandedBytes { get; set; }
    public long ExpandedNodes { get; set; }

    public bool IsSpent => Aliases > Limits.MaxAliases || ExpandedBytes > Limits.MaxExpandedBytes || ExpandedNodes > Limits.MaxNodes;
}

/// <summary>
/// Hands YamlDotNet's events to the representation model one at a time and refuses the first one that crosses a
/// limit, so the model (which recurses per level and expands aliases) never sees a node it could not afford.
/// Expanded size: each scalar counts its UTF-8 bytes plus one, each collection one, each alias what its anchor counted;
/// nodes are counted the same way (an alias counts every node it stands for: the loader walks each of them).
/// </summary>
internal sealed class BoundedYamlParser(IParser inner, LoadBudget budget) : IParser
{
    private readonly Stack<(string? Anchor, Cost Cost)> open = new();
    private readonly Dictionary<string, Cost> anchors = new(StringComparer.Ordinal);

    private readonly record struct Cost(long Bytes, long Nodes)
    {
        public static Cost operator +(Cost a, Cost b) => new(a.Bytes + b.Bytes, a.Nodes + b.Nodes);
    }

    /// <summary>Loads text within the limits; throws <see cref="ManifestLimitException"/> at the first one crossed.</summary>
    public static YamlStream Load(string text, ManifestLimits? limits = null)
    {
        var stream = new YamlStream();
        stream.Load(new BoundedYamlParser(new Parser(new StringReader(text)), new LoadBudget(limits ?? ManifestLimits.Default)));
        return stream;
    }

    public ParsingEvent? Current => inner.Current;

    /// <summary>Flow collections (`[`, `{`) opened and not yet closed, innermost first: where a syntax error most likely starts.</summary>
    public IEnumerable<(Mark At, char Opener)> OpenFlows => flows;

    /// <summary>Where the last event the parser could read ended: where it stopped when it fails without a position.</summary>
    public Mark LastEnd { get; private set; } = Mark.Empty;

    private readonly Stack<(Mark At, char Opener)> flows = new();
    private readonly Stack<bool> collections = new(); // every open collection: is it a flow one

    public bool MoveNext()
    {
        if (!inner.MoveNext()) return false;
        LastEnd = inner.Current!.End;
        switch (inner.Current)
        {
            case SequenceStart s:
                collections.Push(s.Style == SequenceStyle.Flow);
                if (s.Style == SequenceStyle.Flow) flows.Push((s.Start, '['));
                break;
            case MappingStart m:
                collections.Push(m.Style == MappingStyle.Flow);
                if (m.Style == MappingStyle.Flow) flows.Push((m.Start, '{'));
                break;
            case SequenceEnd or MappingEnd when collections.Count > 0:
                if (collections.Pop()) flows.Pop();
                break;
        }
        var limits = budget.Limits;
        switch (inner.Current)
        {
            case MappingStart or SequenceStart:
                if (open.Count >= limits.MaxDepth)
                    throw new ManifestLimitException(inner.Current.Start, $"nested deeper than {limits.MaxDepth} levels (Agent:Limits:MaxDepth)");
                var anchor = ((NodeEvent)inner.Current).Anchor;
                open.Push((anchor.IsEmpty ? null : anchor.Value, new Cost(1, 1)));
                break;
            case MappingEnd or SequenceEnd when open.Count > 0:
                var (name, cost) = open.Pop();
                if (name is not null) anchors[name] = cost;
                Spend(cost, inner.Current.Start, counted: true);
                break;
            case Scalar scalar:
                var bytes = Encoding.UTF8.GetByteCount(scalar.Value);
                if (bytes > limits.MaxScalarBytes)
                    throw new ManifestLimitException(scalar.Start, $"a value of {bytes} bytes is longer than {limits.MaxScalarBytes} (Agent:Limits:MaxScalarBytes)");
                if (scalar.Value.Contains('\0'))
                    throw new ManifestLimitException(scalar.Start, "a value contains a NUL character (\\0), which no name, path or value may hold");
                if (!scalar.Anchor.IsEmpty) anchors[scalar.Anchor.Value] = new Cost(bytes + 1, 1);
                Spend(new Cost(bytes + 1, 1), scalar.Start, counted: false);
                break;
            case AnchorAlias alias:
                if (++budget.Aliases > limits.MaxAliases)
                    throw new ManifestLimitException(alias.Start, $"more than {limits.MaxAliases} aliases in one file (Agent:Limits:MaxAliases)");
                Spend(anchors.GetValueOrDefault(alias.Value.Value, new Cost(1, 1)), alias.Start, counted: false);
                break;
        }
        return true;
    }

    /// <summary>Adds a node's cost to its parent; the file's total grows by leaves only (a closed collection's contents were spent as they came).</summary>
    private void Spend(Cost cost, Mark at, bool counted)
    {
        if (open.Count > 0)
        {
            var (anchor, total) = open.Pop();
            open.Push((anchor, total + cost));
        }
        if (counted) cost = new Cost(1, 1); // the collection itself
        budget.ExpandedBytes += cost.Bytes;
        budget.ExpandedNodes += cost.Nodes;
        var limits = budget.Limits;
        if (budget.ExpandedBytes > limits.MaxExpandedBytes)
            throw new ManifestLimitException(at, $"the values of this file exceed {limits.MaxExpandedBytes} bytes once aliases are expanded (Agent:Limits:MaxExpandedBytes)");
        if (budget.ExpandedNodes > limits.MaxNodes)
            throw new ManifestLimitException(at, $"this file has more than {limits.MaxNodes} values and collections once aliases are expanded (Agent:Limits:MaxNodes)");
    }
}
