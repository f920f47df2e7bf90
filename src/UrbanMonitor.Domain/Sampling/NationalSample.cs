namespace UrbanMonitor.Domain.Sampling;

/// <summary>A city of the universe a national sample is drawn from; <see cref="SizeClass"/> null means derive it.</summary>
public sealed record UniverseCity(string Name, long Population, string Region, string? SizeClass);

/// <summary>A city drawn into a national sample, with its stratum, inclusion probability and design weight.</summary>
public sealed record SampledCity(string Name, long Population, string Region, string SizeClass, string Stratum,
    double InclusionProbability, double Weight);

/// <summary>A stratum (region × size class) of a national sample: N_h cities, n_h drawn, S_h of population.</summary>
public sealed record NationalStratum(string Stratum, string Region, string SizeClass, int Cities, int Sampled, long Population, double PopulationStdDev);

/// <summary>A drawn national sample of cities.</summary>
public sealed record NationalSampleResult(IReadOnlyList<NationalStratum> Strata, IReadOnlyList<SampledCity> Cities, Estimate PopulationEstimate, long PopulationCensus);

/// <summary>
/// The UN-Habitat National Sample of Cities: the universe of cities stratified by region × size class, n shared by
/// the allocation, a seeded draw (the city's position in the universe sorted by name is its id), weights N_h/n_h.
/// </summary>
public static class NationalSample
{
    /// <summary>Size classes by population (persons): the bands UN-Habitat's city-size reporting uses.</summary>
    public static string SizeClassOf(long population) => population switch
    {
        < 100_000 => "under-100k",
        < 500_000 => "100k-500k",
        < 1_000_000 => "500k-1m",
        < 5_000_000 => "1m-5m",
        _ => "5m-plus",
    };

    /// <exception cref="SamplingException">Empty universe, duplicate names, negative population, bad n.</exception>
    public static NationalSampleResult Draw(IReadOnlyList<UniverseCity> universe, int n, Allocation allocation, long seed)
    {
        if (universe.Count == 0) throw new SamplingException("The city universe is empty.");
        var bad = universe.FirstOrDefault(c => string.IsNullOrWhiteSpace(c.Name) || string.IsNullOrWhiteSpace(c.Region) || c.Population < 0);
        if (bad is not null) throw new SamplingException($"Every city needs a name, a region and a population ≥ 0; '{bad.Name}' does not.");
        var duplicate = universe.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new SamplingException($"The city '{duplicate.Key}' appears more than once.");

        var cities = universe.OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select((c, i) => (Id: (long)i, City: c with { SizeClass = string.IsNullOrWhiteSpace(c.SizeClass) ? SizeClassOf(c.Population) : c.SizeClass }))
            .ToList();
        string StratumOf(UniverseCity c) => $"{c.Region} × {c.SizeClass}";
        var strata = cities.GroupBy(c => StratumOf(c.City), StringComparer.Ordinal)
            .Select(g => new Stratum(g.Key, g.Count(), StratifiedSampling.StdDev(g.Select(c => (double)c.City.Population).ToList())))
            .ToList();
        var sizes = StratifiedSampling.Allocate(strata, n, allocation);
        var drawn = StratifiedSampling.Draw(cities.Select(c => new FrameUnit(c.Id, StratumOf(c.City))).ToList(), sizes, seed);
        var byId = cities.ToDictionary(c => c.Id, c => c.City);
        var sampled = drawn.Select(d => byId[d.Id]).Zip(drawn, (c, d) =>
                new SampledCity(c.Name, c.Population, c.Region, c.SizeClass!, d.Stratum, d.InclusionProbability, d.Weight))
            .OrderBy(c => c.Stratum, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var summary = cities.GroupBy(c => StratumOf(c.City), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new NationalStratum(g.Key, g.First().City.Region, g.First().City.SizeClass!, g.Count(), sizes[g.Key],
                g.Sum(c => c.City.Population), strata.First(s => s.Name == g.Key).StdDev))
            .ToList();
        var estimate = StratifiedEstimator.Total(sampled.Select(c => new SampledValue(c.Stratum, c.Population)).ToList(),
            strata.ToDictionary(s => s.Name, s => s.Size, StringComparer.Ordinal));
        return new(summary, sampled, estimate, cities.Sum(c => c.City.Population));
    }
}
