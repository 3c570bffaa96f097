using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Cronos;

namespace Agent.Core.Model;

/// <summary>
/// A schedule: a cron expression of 5 fields (minute precision) or 6 (seconds first), a macro (@hourly, @daily,
/// @weekly, @monthly, @yearly, ...) or <c>@every 30s</c>. Cron expressions follow Cronos, also across DST: a time
/// in a spring gap runs at the end of the gap, a fixed time in an autumn overlap runs once, intervals run in both.
/// <c>@every</c> counts whole intervals from the Unix epoch, so its times do not depend on when the agent started.
/// </summary>
public sealed partial record CronSchedule
{
    private readonly CronExpression? cron;

    private CronSchedule(string text, CronExpression? cron, TimeSpan? every)
    {
        Text = text;
        this.cron = cron;
        Every = every;
    }

    public string Text { get; }

    [JsonIgnore]
    public TimeSpan? Every { get; }

    [GeneratedRegex(@"^@every\s+(\S+)$")]
    private static partial Regex EveryShape();

    public static CronSchedule? TryParse(string text, out string? error)
    {
        error = null;
        var trimmed = text.Trim();
        if (EveryShape().Match(trimmed) is { Success: true } every)
        {
            var parsed = Manifests.Quantities.TryParseDuration(every.Groups[1].Value, out var interval);
            if (parsed && interval > Manifests.DurationLimits.Agent || !parsed && Manifests.Quantities.IsDurationShape(every.Groups[1].Value))
            {
                error = $"\"{text}\": @every is at most {Manifests.DurationLimits.Describe(Manifests.DurationLimits.Agent)}";
                return null;
            }
            if (!parsed || interval < TimeSpan.FromSeconds(1) || interval.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                error = $"\"{text}\": @every needs a whole number of seconds, at least 1s (e.g. @every 30s, @every 5m)";
                return null;
            }
            return new CronSchedule(trimmed, null, interval);
        }
        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length > 0 && (fields[0].StartsWith("CRON_TZ=", StringComparison.Ordinal) || fields[0].StartsWith("TZ=", StringComparison.Ordinal)))
        {
            error = $"\"{text}\": a time zone in the schedule ({fields[0]}) is not taken: set timeZone instead (as Kubernetes asks)";
            return null;
        }
        if (!trimmed.StartsWith('@') && fields.Length is not (5 or 6))
        {
            error = $"\"{text}\" has {fields.Length} field(s): use 5 (minute hour day month weekday), 6 (second first) or a macro (@hourly, @daily, @weekly, @monthly, @yearly, @every 30s)";
            return null;
        }
        var format = fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        if (trimmed.StartsWith('@') && trimmed is not ("@yearly" or "@annually" or "@monthly" or "@weekly" or "@daily" or "@midnight" or "@hourly" or "@every_minute" or "@every_second"))
        {
            error = $"\"{text}\" is not a known macro (@hourly, @daily, @weekly, @monthly, @yearly, @every 30s)";
            return null;
        }
        if (ReversedOrZeroStep(fields) is { } wrong)
        {
            error = $"\"{text}\" is not a valid cron expression: {wrong}";
            return null;
        }
        if (!CronExpression.TryParse(string.Join(' ', fields), format, out var expression))
        {
            error = $"\"{text}\" is not a valid cron expression{BadField(fields)}";
            return null;
        }
        // Cron has no year field: an expression that matches no date after 2000 matches none ever (the 30th of February).
        if (expression.GetNextOccurrence(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)) is null)
        {
            error = $"\"{text}\" never fires: no date matches it (like the 30th of February)";
            return null;
        }
        return new CronSchedule(trimmed, expression, null);
    }

    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] Days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    /// <summary>What Cronos takes but Kubernetes (robfig/cron) refuses: a range whose beginning is beyond its end (`5-1`,
    /// which Cronos wraps around: it ran 57 times an hour, probe-66 F4) and a step of 0; null when there is none.</summary>
    private static string? ReversedOrZeroStep(string[] fields)
    {
        var offset = fields.Length == 6 ? 1 : 0;
        for (var i = 0; i < fields.Length; i++)
        {
            foreach (var part in fields[i].Split(','))
            {
                var slash = part.Split('/');
                if (slash.Length == 2 && int.TryParse(slash[1], NumberStyles.None, CultureInfo.InvariantCulture, out var step) && step == 0)
                    return $"step 0 in \"{part}\": a step is at least 1";
                var range = slash[0].Split('-');
                if (range.Length == 2 && Value(range[0], i - offset) is { } from && Value(range[1], i - offset) is { } to && from > to)
                    return $"the range \"{slash[0]}\" begins ({range[0]}) beyond its end ({range[1]})";
            }
        }
        return null;

        static int? Value(string text, int field) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : field == 3 && Array.IndexOf(Months, text.ToUpperInvariant()) is >= 0 and var m ? m + 1
            : field == 4 && Array.IndexOf(Days, text.ToUpperInvariant()) is >= 0 and var d ? d
            : null;
    }

    private static readonly string[] FieldNames = ["minute (0-59)", "hour (0-23)", "day of month (1-31, L, W)", "month (1-12, JAN-DEC)", "day of week (0-7, SUN-SAT, L, #)"];

    /// <summary>": its minute field (0-59) is \"61\"": the first field that does not parse with every other one a *, or ""
    /// when each parses alone (probe-65: `61 * * * *` said only "not a valid cron expression").</summary>
    private static string BadField(string[] fields)
    {
        var names = fields.Length == 6 ? ["second (0-59)", .. FieldNames] : FieldNames;
        var format = fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        for (var i = 0; i < fields.Length; i++)
        {
            var alone = fields.Select((f, j) => j == i ? f : "*");
            if (!CronExpression.TryParse(string.Join(' ', alone), format, out _))
                return $": its {names[i].Replace(" (", " field (", StringComparison.Ordinal)} is \"{fields[i]}\" (a value, a list a,b, a range a-b, a step */n or a-b/n, or *)";
        }
        return "";
    }

    /// <summary>The first time strictly after <paramref name="after"/>, or null when there is none (e.g. Feb 30).</summary>
    public DateTimeOffset? Next(DateTimeOffset after, TimeZoneInfo zone)
    {
        if (Every is { } interval)
        {
            var ticks = after.UtcTicks - DateTime.UnixEpoch.Ticks;
            var next = (ticks / interval.Ticks + 1) * (Int128)interval.Ticks;
            if (next > DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks - TimeSpan.TicksPerDay) return null; // past the calendar (a day kept for the zone's offset)
            var utc = new DateTimeOffset(DateTime.UnixEpoch.Ticks + (long)next, TimeSpan.Zero);
            return utc.ToOffset(zone.GetUtcOffset(utc));
        }
        return cron!.GetNextOccurrence(after, zone, inclusive: false);
    }

    /// <summary>The times in (from, to], at most <paramref name="limit"/> of the latest ones are kept; the count is of all.</summary>
    public (IReadOnlyList<DateTimeOffset> Latest, int Count) Between(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone, int limit = 2)
    {
        var latest = new Queue<DateTimeOffset>();
        var count = 0;
        if (Every is { } interval)
        {
            var first = Next(from, zone);
            if (first is null || first > to) return ([], 0);
            count = (int)Math.Min(int.MaxValue, (to.UtcTicks - first.Value.UtcTicks) / interval.Ticks + 1);
            var last = first.Value.AddTicks((long)(count - 1) * interval.Ticks);
            for (var i = Math.Min(limit, count) - 1; i >= 0; i--) latest.Enqueue(last.AddTicks(-i * interval.Ticks).ToOffset(zone.GetUtcOffset(last.AddTicks(-i * interval.Ticks))));
            return (latest.ToList(), count);
        }
        const int Walk = 100_000;
        var cursor = from;
        var steps = 0;
        while (cron!.GetNextOccurrence(cursor, zone) is { } time && time <= to)
        {
            count++;
            latest.Enqueue(time);
            if (latest.Count > limit) latest.Dequeue();
            cursor = time;
            // A long outage of a frequent schedule: skip ahead to the last day (the count then says "at least").
            if (++steps == Walk && time < to.AddDays(-1)) cursor = to.AddDays(-1);
        }
        return (latest.ToList(), count);
    }

    public override string ToString() => Text;

    /// <summary>An IANA zone id to a zone, or null.</summary>
    public static TimeZoneInfo? Zone(string id)
    {
        if (id is "UTC" or "Etc/UTC") return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    public static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);
}
