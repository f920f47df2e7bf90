namespace UrbanMonitor.Domain.Sampling;

/// <summary>A sampled unit's values: y (the quantity) and x (the denominator of a ratio; unused for totals).</summary>
public sealed record SampledValue(string Stratum, double Y, double X = 0);

/// <summary>
/// A design-based estimate with its standard error and 95 % confidence interval (normal approximation, z = 1.96).
/// <see cref="StandardError"/> is null when a stratum has a single sampled unit (its variance cannot be estimated).
/// </summary>
public sealed record Estimate(double Value, double? StandardError, double? Lower95, double? Upper95, int SampleSize, string Estimator);

/// <summary>
/// Stratified estimators for stratified simple random samples: Horvitz–Thompson totals
/// Ŷ = Σ_h N_h·ȳ_h with V̂ = Σ_h N_h²(1 − n_h/N_h)s²_h/n_h, and the combined ratio R̂ = Ŷ/X̂ with the linearised
/// variance of the residuals y − R̂x divided by X̂².
/// </summary>
public static class StratifiedEstimator
{
    public const double Z95 = 1.959963984540054;

    /// <summary>Estimates a population total from the sample; <paramref name="stratumSizes"/> gives N_h.</summary>
    public static Estimate Total(IReadOnlyList<SampledValue> sample, IReadOnlyDictionary<string, int> stratumSizes)
    {
        double total = 0, variance = 0;
        var estimable = true;
        foreach (var g in sample.GroupBy(v => v.Stratum, StringComparer.Ordinal))
        {
            var ys = g.Select(v => v.Y).ToList();
            var (N, n) = (stratumSizes[g.Key], ys.Count);
            total += N * ys.Average();
            if (n >= N) continue; // a stratum taken whole adds no sampling variance
            if (n < 2) { estimable = false; continue; }
            var s = StratifiedSampling.StdDev(ys);
            variance += (double)N * N * (1 - (double)n / N) * s * s / n;
        }
        return Build(total, estimable ? Math.Sqrt(variance) : null, sample.Count, "stratified Horvitz-Thompson total");
    }

    /// <summary>Estimates the ratio ΣY/ΣX (e.g. the settlement population share); NaN when X̂ is zero.</summary>
    public static Estimate Ratio(IReadOnlyList<SampledValue> sample, IReadOnlyDictionary<string, int> stratumSizes)
    {
        double y = 0, x = 0;
        foreach (var g in sample.GroupBy(v => v.Stratum, StringComparer.Ordinal))
        {
            var N = stratumSizes[g.Key];
            y += N * g.Average(v => v.Y);
            x += N * g.Average(v => v.X);
        }
        if (x == 0) return new(double.NaN, null, null, null, sample.Count, "combined ratio estimator");
        var r = y / x;
        var residuals = Total(sample.Select(v => new SampledValue(v.Stratum, v.Y - r * v.X)).ToList(), stratumSizes);
        return Build(r, residuals.StandardError / x, sample.Count, "combined ratio estimator (linearised variance)");
    }

    private static Estimate Build(double value, double? se, int n, string estimator) =>
        new(value, se, value - Z95 * se, value + Z95 * se, n, estimator);
}
