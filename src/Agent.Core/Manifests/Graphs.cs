namespace Agent.Core.Manifests;

public static class Graphs
{
    /// <summary>A dependency cycle as a path that starts and ends at the same node, or null.</summary>
    public static IReadOnlyList<string>? FindCycle(IEnumerable<string> nodes, Func<string, IEnumerable<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var stack = new List<string>();
        foreach (var start in nodes.Order(StringComparer.Ordinal))
        {
            var cycle = Visit(start);
            if (cycle is not null) return cycle;
        }
        return null;

        IReadOnlyList<string>? Visit(string node)
        {
            if (state.TryGetValue(node, out var s))
                return s == 1 ? [.. stack[stack.IndexOf(node)..], node] : null;
            state[node] = 1;
            stack.Add(node);
            foreach (var next in edges(node))
            {
                var cycle = Visit(next);
                if (cycle is not null) return cycle;
            }
            stack.RemoveAt(stack.Count - 1);
            state[node] = 2;
            return null;
        }
    }
}
