namespace Agent.Http;

/// <summary>
/// The image names an API build is making: held from the build's check of its tag until the build has tagged (or
/// failed), so a second build, a tag or a load to the same name (spelled any way: <c>busybox</c> is
/// <c>docker.io/library/busybox:latest</c>) is refused before it starts instead of re-pointing the name under the first
/// build, whose client would be told an id the name no longer has.
/// </summary>
public sealed class ImageNameReservations
{
    private readonly object gate = new();
    private readonly Dictionary<string, Reservation> held = new(StringComparer.Ordinal);

    /// <summary>The name reserved for <paramref name="holder"/>, or null when it is already held (see <see cref="HolderOf"/>).</summary>
    public Reservation? TryReserve(string name, string holder)
    {
        var key = ImageUsers.Normalize(name);
        lock (gate)
        {
            if (held.ContainsKey(key)) return null;
            return held[key] = new Reservation(this, key, holder);
        }
    }

    /// <summary>What holds <paramref name="name"/> now ("being built by task 1f2e..."), or null.</summary>
    public string? HolderOf(string name)
    {
        lock (gate) return held.GetValueOrDefault(ImageUsers.Normalize(name))?.Holder;
    }

    /// <summary>Why <paramref name="name"/> may not be given now, or null.</summary>
    public string? Refusal(string name) =>
        HolderOf(name) is { } holder ? $"{name} is {holder}: wait for it to end, then try again" : null;

    private void Release(Reservation reservation)
    {
        lock (gate)
            if (held.GetValueOrDefault(reservation.Key) == reservation) held.Remove(reservation.Key);
    }

    public sealed class Reservation(ImageNameReservations owner, string key, string holder) : IDisposable
    {
        internal string Key { get; } = key;

        /// <summary>What holds the name, as the refusal says it ("being built by task ID").</summary>
        public string Holder { get; } = holder;

        public void Dispose() => owner.Release(this);
    }
}
