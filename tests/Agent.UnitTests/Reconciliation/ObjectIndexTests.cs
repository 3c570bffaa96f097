using System.Collections.Immutable;
using Agent.Core.Model;
using Agent.Reconciliation;
using Xunit;

namespace Agent.UnitTests.Reconciliation;

public sealed class ObjectIndexTests
{
    private static readonly AgentLabels Labels = new("index-test");
    private static readonly ObjectKey Web = new("ServiceGroup", "web");
    private static readonly ObjectKey Db = new("ServiceGroup", "db");

    private static IReadOnlyDictionary<string, string> Entry(ObjectKey key) => Labels.ForObject(key);

    [Fact]
    public void Groups_entries_by_kind_and_object_and_follows_a_new_snapshot()
    {
        var index = new ObjectIndex<IReadOnlyDictionary<string, string>>(Labels);
        var first = ImmutableDictionary<string, IReadOnlyDictionary<string, string>>.Empty
            .Add("a", Entry(Web)).Add("b", Entry(Web)).Add("c", Entry(Db))
            .Add("d", new Dictionary<string, string>()) // no object labels: belongs to no object
            .Add("e", Entry(new ObjectKey("ComposeProject", "web"))); // same name, another kind
        Assert.Equal(2, index.Of(first, Web, e => e).Count());
        Assert.Single(index.Of(first, Db, e => e));
        Assert.Empty(index.Of(first, new ObjectKey("ServiceGroup", "gone"), e => e));

        var second = first.Remove("a").Add("f", Entry(Db));
        Assert.Single(index.Of(second, Web, e => e));
        Assert.Equal(2, index.Of(second, Db, e => e).Count());
        Assert.Equal(2, index.Of(first, Web, e => e).Count()); // an older snapshot is answered from itself, not the newer index
    }
}
