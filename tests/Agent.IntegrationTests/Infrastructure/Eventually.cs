namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Polls a condition with a deadline; never a fixed sleep.</summary>
public static class Eventually
{
    public static Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string what) =>
        ReturnsAsync(probe, done, within, () => what);

    /// <summary>As above, with a message made at the failure (an agent's output then, not when the wait began).</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, Func<string> what)
    {
        var deadline = DateTime.UtcNow + within;
        T last;
        Exception? error = null;
        do
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
            }
            catch (Exception e)
            {
                error = e;
                last = default!;
            }
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Not true within {within.TotalSeconds} s: {what()}. Last value: {Describe(last)}", error);
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan within, string what) =>
        ReturnsAsync(probe, ok => ok, within, what);

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan within, Func<string> what) =>
        ReturnsAsync(probe, ok => ok, within, what);

    /// <summary>A value for a failure message: a list shows its items, not its type name.</summary>
    private static string Describe(object? value) => value is System.Collections.IEnumerable items and not string
        ? "[" + string.Join(", ", items.Cast<object?>()) + "]"
        : value?.ToString() ?? "null";
}
