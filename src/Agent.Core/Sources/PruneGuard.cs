using System.Globalization;
using Agent.Core.Model;

namespace Agent.Core.Sources;

/// <summary>What one read of the manifests would remove, and whether that is too much to do without a person's word.</summary>
public sealed record PruneDecision(bool Blocked, IReadOnlyList<ObjectKey> Removals, int Managed, string Message);

/// <summary>
/// The mass-prune guard: a read that would remove more than a share of the managed objects (and at least a minimum
/// count) is held, like a mount that came back empty or a wrong path, until the held manifests come back or an admin confirms.
/// </summary>
public sealed record PruneGuard(double Fraction, int Minimum)
{
    public static readonly PruneGuard Default = new(0.5, 2);

    /// <summary>Parses "50%", "0.5" or "off" (never blocks).</summary>
    public static PruneGuard Parse(string? fraction, int minimum = 2)
    {
        var text = (fraction ?? "").Trim();
        if (text.Length == 0) return Default with { Minimum = minimum };
        if (text.Equals("off", StringComparison.OrdinalIgnoreCase)) return new PruneGuard(1.0, minimum);
        var percent = text.EndsWith('%');
        if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || value < 0 || (percent ? value > 100 : value > 1))
            throw new ArgumentException($"Agent:PruneGuard \"{fraction}\" is not a share of the managed objects: use a percentage such as 50% or a fraction such as 0.5 (or off)");
        return new PruneGuard(percent ? value / 100 : value, Math.Max(1, minimum));
    }

    /// <summary>Decides one read: <paramref name="managed"/> objects exist or are desired, <paramref name="removals"/> of them would be pruned.</summary>
    public PruneDecision Decide(int managed, IEnumerable<ObjectKey> removals)
    {
        var list = removals.Distinct().OrderBy(k => k.Kind, StringComparer.Ordinal).ThenBy(k => k.Name, StringComparer.Ordinal).ToList();
        var blocked = list.Count >= Minimum && managed > 0 && list.Count > Fraction * managed;
        var message = blocked
            ? $"this read of the manifests would remove {list.Count} of {managed} managed objects (more than {Percent}): {string.Join(", ", list)}. "
              + "Nothing is removed until their manifests come back or an admin confirms (POST /api/v1/prune/confirm, or --allow-mass-prune)"
            : "";
        return new PruneDecision(blocked, list, managed, message);
    }

    /// <summary>Decides one read after an earlier one was held: the held removals that are still missing stay held,
    /// whatever share they are now. Restoring files one by one (a slow copy, a checkout) is not a reason to prune the rest
    /// (probe-15j M1); only their manifests coming back or an admin's confirmation ends their hold. Other removals are
    /// judged as usual.</summary>
    public PruneDecision Decide(int managed, IEnumerable<ObjectKey> removals, IReadOnlySet<ObjectKey> heldBefore)
    {
        var decision = Decide(managed, removals);
        if (decision.Blocked || heldBefore.Count == 0 || Fraction >= 1.0) return decision;
        var still = decision.Removals.Where(heldBefore.Contains).ToList();
        if (still.Count == 0) return decision;
        return new PruneDecision(true, still, managed,
            $"{still.Count} removal(s) held since an earlier read are still missing from the manifests: {string.Join(", ", still)}. "
            + "They stay held until their manifests come back or an admin confirms (POST /api/v1/prune/confirm, or --allow-mass-prune); restoring only some files does not release the others");
    }

    /// <summary>Decides one read with the admin's standing confirmations: a confirmed removal goes ahead and is not judged
    /// again, so a confirmed prune that a restart interrupted is finished at the next start, not held anew (probe-15j M6).
    /// A confirmation lapses once its object is no removal of the read (its manifest came back, or it is gone): it was for
    /// that removal only, never for a later one. The other removals are judged against the objects that stay: a confirmed
    /// removal under way is no longer managed (probe-27 F3.0: 5 of 8 confirmed, then 3 more manifests moved away were 3 of
    /// 8, under the share, and the host was emptied on a confirmation that named 5). Removals <paramref name="underWay"/> (let
    /// through by an earlier read and being carried out) are judged alike: they are going, not held (probe-28 F8: 3 of 12
    /// pruned within the share, then one more file moved away made 4 of 13, and all four were listed as held while the
    /// three were removed anyway). Returns the confirmations that still stand.</summary>
    public (PruneDecision Decision, IReadOnlySet<ObjectKey> Confirmed) Decide(int managed, IReadOnlySet<ObjectKey> removals,
        IReadOnlySet<ObjectKey> heldBefore, IReadOnlySet<ObjectKey> confirmed, IReadOnlySet<ObjectKey>? underWay = null)
    {
        var standing = confirmed.Where(removals.Contains).ToHashSet();
        var going = standing.Union(underWay?.Where(removals.Contains) ?? []).ToHashSet();
        return (Decide(Math.Max(0, managed - going.Count), removals.Except(going), heldBefore), standing);
    }

    public string Percent => (Fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
