using System.ComponentModel;
using System.Globalization;
using Agent.Core.Manifests;

namespace Agent.Hosting;

/// <summary>Lets every TimeSpan setting (appsettings.json, AGENT_* variables) take the manifests' durations: 500ms, 90s, 5m, 1h30m.</summary>
public sealed class DurationConverter : TimeSpanConverter
{
    private static int registered;

    /// <summary>Makes configuration binding use this converter for TimeSpan; safe to call more than once.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? Durations.TryParse(text, out var d) ? d : throw new FormatException($"\"{text}\" is not a duration of at most 2147483647s: {Durations.Hint}")
            : base.ConvertFrom(context, culture, value);
}
