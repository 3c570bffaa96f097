namespace Agent.Engine;

/// <summary>Calls back on the reporting thread, unlike <see cref="Progress{T}"/>, which posts to the
/// thread pool and can reorder reports.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
