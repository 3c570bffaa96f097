using System.Reflection;

namespace Agent.Hosting;

/// <summary>List settings take a comma list in one value (AGENT_Agent__Security__AllowedImages=busybox:*,nginx:*)
/// as well as the indexed form (…__AllowedImages__0, …__1).</summary>
public static class CommaLists
{
    public static T Split<T>(T options) where T : class
    {
        Walk(options, depth: 0);
        return options;
    }

    private static void Walk(object options, int depth)
    {
        if (depth > 4) return;
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || !property.CanRead) continue;
            var value = property.GetValue(options);
            if (value is List<string> list)
            {
                var split = list.SelectMany(item => item.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
                list.Clear();
                list.AddRange(split);
            }
            else if (value is not null && property.PropertyType.IsClass && property.PropertyType != typeof(string)
                     && property.PropertyType.Namespace?.StartsWith("Agent", StringComparison.Ordinal) == true)
            {
                Walk(value, depth + 1);
            }
        }
    }
}
