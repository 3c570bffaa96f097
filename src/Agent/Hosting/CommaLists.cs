using System.Reflection;

namespace Agent.Hosting;

/// <summary>List settings take a comma list in one value (AGENT_Agent__Security__AllowedImages=busybox:*,nginx:*)
/// as well as the indexed form (…__AllowedImages__0, …__1). The configuration binder ignores a single value for a list,
/// which would leave e.g. the image allowlist empty (= every image): the value is read here instead, and one that
/// holds no entry stops startup.</summary>
public static class CommaLists
{
    public static T Split<T>(T options, IConfiguration section) where T : class
    {
        Walk(options, section, depth: 0);
        return options;
    }

    private static void Walk(object options, IConfiguration section, int depth)
    {
        if (depth > 4) return;
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || !property.CanRead) continue;
            var value = property.GetValue(options);
            var setting = section.GetSection(property.Name);
            if (value is List<string> list)
            {
                var items = list.AsEnumerable();
                if (setting.Value is { } single)
                {
                    // One value replaces the default (as the indexed form's whole list would be meant to).
                    if (Entries(single).Count == 0)
                        throw new SettingsException(
                            $"Setting {setting.Path} is set to \"{single}\", which holds no entry: give a comma list (a,b) or leave it unset.");
                    items = Entries(single);
                }
                var split = items.SelectMany(Entries).ToList();
                list.Clear();
                list.AddRange(split);
            }
            else if (value is not null && property.PropertyType.IsClass && property.PropertyType != typeof(string)
                     && property.PropertyType.Namespace?.StartsWith("Agent", StringComparison.Ordinal) == true)
            {
                Walk(value, setting, depth + 1);
            }
        }
    }

    private static List<string> Entries(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}

/// <summary>A setting that cannot be read: the agent and every command stop with its message.</summary>
public sealed class SettingsException(string message) : InvalidOperationException(message);
