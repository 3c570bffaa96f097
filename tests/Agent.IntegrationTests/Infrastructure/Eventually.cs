namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Polls a condition with a deadline; never a fixed sleep.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string what)
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
        throw new TimeoutException($"Not true within {within.TotalSeconds} s: {what}. Last value: {last}", error);
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan within, string what) =>
        ReturnsAsync(probe, ok => ok, within, what);
}
