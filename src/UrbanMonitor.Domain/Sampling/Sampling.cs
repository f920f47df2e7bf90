namespace UrbanMonitor.Domain.Sampling;

/// <summary>How a total sample size is shared between strata.</summary>
public enum Allocation
{
    /// <summary>n_h ∝ N_h.</summary>
    Proportional,
    /// <summary>The same n_h in every stratum (capped at N_h).</summary>
    Equal,
    /// <summary>n_h ∝ N_h·S_h (Neyman), S_h the standard deviation of an auxiliary quantity in the stratum.</summary>
    Neyman,
}

/// <summary>One stratum of a frame: its size N_h and (for Neyman) the standard deviation S_h of the auxiliary quantity.</summary>
public sealed record Stratum(string Name, int Size, double StdDev = 0);

/// <summary>A frame unit: an id (stable for a given frame) and its stratum.</summary>
public sealed record FrameUnit(long Id, string Stratum);

/// <summary>A drawn unit with its inclusion probability π = n_h/N_h and design weight 1/π.</summary>
public sealed record DrawnUnit(long Id, string Stratum, double InclusionProbability, double Weight);

/// <summary>Why a design cannot be drawn (the caller turns it into a 4xx).</summary>
public sealed class SamplingException(string message) : Exception(message);

/// <summary>
/// Stratified simple random sampling without replacement, as the UN-Habitat National Sample of Cities method uses:
/// allocation, a seeded reproducible draw and design weights. Pure and deterministic.
/// </summary>
public static class StratifiedSampling
{
    /// <summary>Parses <c>proportional</c>, <c>equal</c> or <c>neyman</c> (case-insensitive); null when unknown.</summary>
    public static Allocation? ParseAllocation(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "proportional" => Allocation.Proportional,
        "equal" => Allocation.Equal,
        "neyman" => Allocation.Neyman,
        _ => null,
    };

    /// <summary>
    /// Shares <paramref name="n"/> between the strata so the sizes sum to exactly n and no n_h exceeds N_h; every
    /// non-empty stratum gets at least one unit when n allows (at least two when it can, so its variance is estimable).
    /// Fractional shares are rounded by largest remainder; a stratum capped at N_h passes its excess on to the others.
    /// Neyman falls back to proportional when every S_h is zero.
    /// </summary>
    /// <exception cref="SamplingException">n ≤ 0 or larger than the frame.</exception>
    public static IReadOnlyDictionary<string, int> Allocate(IReadOnlyList<Stratum> strata, int n, Allocation allocation)
    {
        var total = strata.Sum(s => (long)s.Size);
        if (n <= 0) throw new SamplingException($"The sample size must be positive; it was {n}.");
        if (n > total) throw new SamplingException($"The sample size {n} is larger than the frame ({total} units).");
        var live = strata.Where(s => s.Size > 0).ToList();
        var result = strata.ToDictionary(s => s.Name, _ => 0, StringComparer.Ordinal);
        if (allocation == Allocation.Neyman && live.All(s => !(s.StdDev > 0))) allocation = Allocation.Proportional;
        double Measure(Stratum s) => allocation switch
        {
            Allocation.Equal => 1,
            Allocation.Neyman => s.Size * Math.Max(s.StdDev, 0),
            _ => s.Size,
        };

        // Strata whose share reaches N_h are taken whole; the rest of n is shared again among the others.
        var open = live.ToList();
        var m = n;
        while (true)
        {
            var sum = open.Sum(Measure);
            var full = sum > 0 ? open.Where(s => m * Measure(s) / sum >= s.Size).ToList() : [];
            if (full.Count == 0) break;
            foreach (var s in full) { result[s.Name] = s.Size; m -= s.Size; open.Remove(s); }
        }
        // Open strata left with no measure (Neyman, S_h = 0 everywhere) share the rest by size.
        Func<Stratum, double> measure = open.Sum(Measure) > 0 ? Measure : s => s.Size;
        var total2 = open.Sum(measure);
        var targets = open.Select(s => total2 > 0 ? m * measure(s) / total2 : 0).ToList();
        for (var i = 0; i < open.Count; i++) result[open[i].Name] = (int)Math.Floor(targets[i]);
        var remainder = n - result.Values.Sum();
        foreach (var i in Enumerable.Range(0, open.Count).OrderByDescending(i => targets[i] - Math.Floor(targets[i]))
                     .ThenBy(i => open[i].Name, StringComparer.Ordinal).Take(remainder))
            result[open[i].Name]++;

        // A floor per stratum (2 so its variance is estimable, else 1) when n allows, taken from the largest allocations.
        var floor = n >= 2 * live.Count ? 2 : n >= live.Count ? 1 : 0;
        foreach (var s in live.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var want = Math.Min(floor, s.Size);
            while (result[s.Name] < want)
            {
                var donor = live.Where(d => result[d.Name] > Math.Min(floor, d.Size))
                    .OrderByDescending(d => result[d.Name]).ThenBy(d => d.Name, StringComparer.Ordinal).First();
                result[donor.Name]--;
                result[s.Name]++;
            }
        }
        return result;
    }

    /// <summary>
    /// The draw's ordering key for a unit: a 64-bit mix (SplitMix64) of the seed and the unit id. Within a stratum the
    /// n_h units with the smallest keys are taken, so the same seed always draws the same units and the draw does not
    /// depend on the order the frame was read in.
    /// </summary>
    public static ulong Key(long seed, long id) => Mix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ Mix(unchecked((ulong)id)));

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Draws n_h units per stratum without replacement, each with π = n_h/N_h and weight N_h/n_h.</summary>
    public static IReadOnlyList<DrawnUnit> Draw(IReadOnlyList<FrameUnit> frame, IReadOnlyDictionary<string, int> sizes, long seed)
    {
        var drawn = new List<DrawnUnit>();
        foreach (var group in frame.GroupBy(u => u.Stratum, StringComparer.Ordinal))
        {
            var units = group.ToList();
            var nh = sizes.TryGetValue(group.Key, out var k) ? k : 0;
            if (nh <= 0) continue;
            var pi = (double)nh / units.Count;
            drawn.AddRange(units.OrderBy(u => Key(seed, u.Id)).ThenBy(u => u.Id).Take(nh)
                .Select(u => new DrawnUnit(u.Id, u.Stratum, pi, 1 / pi)));
        }
        return drawn;
    }

    /// <summary>The sample standard deviation (n − 1); zero for fewer than two values.</summary>
    public static double StdDev(IReadOnlyCollection<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
