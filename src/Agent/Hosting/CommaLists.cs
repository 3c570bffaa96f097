using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Agent.Hosting;

/// <summary>List settings take a comma list in one value (AGENT_Agent__Security__AllowedImages=busybox:*,nginx:*)
/// as well as the indexed form (…__AllowedImages__0, …__1). The configuration binder ignores a single value for a list,
/// which would leave e.g. the image allowlist empty (= every image): the value is read here instead, and one that
/// holds no entry stops startup.</summary>
public static class CommaLists
{
    // The settings classes walked below keep their property metadata in a trimmed (Native AOT) build.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(AgentOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(GitSettings))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SecuritySettings))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ImageSettings))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(RegistrySettings))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(Core.Manifests.ManifestLimits))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(Auth.AuthOptions))]
    public static T Split<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(T options, IConfiguration section) where T : class
    {
        Walk(options, section, depth: 0);
        return options;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The settings classes are kept by Split's DynamicDependency list; one without properties stops startup.")]
    private static void Walk(object options, IConfiguration section, int depth)
    {
        if (depth > 4) return;
        var properties = options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance);
        if (properties.Length == 0) // trimmed away: a list setting would silently stay unsplit (an allowlist read as empty)
            throw new SettingsException($"The settings class {options.GetType().Name} has lost its properties in this build: add it to CommaLists.Split's DynamicDependency list.");
        foreach (var property in properties)
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
