using UrbanMonitor.Domain.Sampling;

namespace UrbanMonitor.Domain.Tests;

public class StratifiedSamplingTests
{
    private static readonly Stratum[] Strata = [new("a", 500, 1), new("b", 300, 4), new("c", 200, 10)];

    [Theory]
    [InlineData(Allocation.Proportional, 57)]
    [InlineData(Allocation.Equal, 57)]
    [InlineData(Allocation.Neyman, 57)]
    [InlineData(Allocation.Neyman, 999)]
    [InlineData(Allocation.Equal, 1000)]
    public void AllocationSumsToNAndNoStratumExceedsItsSize(Allocation allocation, int n)
    {
        var sizes = StratifiedSampling.Allocate(Strata, n, allocation);
        Assert.Equal(n, sizes.Values.Sum());
        Assert.All(Strata, s => Assert.InRange(sizes[s.Name], 2, s.Size));
    }

    [Fact]
    public void ProportionalFollowsNhAndNeymanFollowsNhTimesSh()
    {
        var p = StratifiedSampling.Allocate(Strata, 100, Allocation.Proportional);
        Assert.Equal((50, 30, 20), (p["a"], p["b"], p["c"]));
        // N_h·S_h = 500, 1200, 2000 of 3700.
        var ny = StratifiedSampling.Allocate(Strata, 100, Allocation.Neyman);
        Assert.Equal((14, 32, 54), (ny["a"], ny["b"], ny["c"]));
        var eq = StratifiedSampling.Allocate(Strata, 99, Allocation.Equal);
        Assert.Equal((33, 33, 33), (eq["a"], eq["b"], eq["c"]));
    }

    [Fact]
    public void NeymanCapsAStratumAtItsSizeAndSharesTheRest()
    {
        // Stratum x would get 90 of 100 but has 20 units: it is taken whole and y gets the other 80.
        var sizes = StratifiedSampling.Allocate([new("x", 20, 1000), new("y", 1000, 1)], 100, Allocation.Neyman);
        Assert.Equal(20, sizes["x"]);
        Assert.Equal(80, sizes["y"]);
    }

    [Fact]
    public void ImpossibleSampleSizesAreRefusedWithTheReason()
    {
        Assert.Contains("larger than the frame", Assert.Throws<SamplingException>(() => StratifiedSampling.Allocate(Strata, 1001, Allocation.Proportional)).Message);
        Assert.Contains("positive", Assert.Throws<SamplingException>(() => StratifiedSampling.Allocate(Strata, 0, Allocation.Proportional)).Message);
    }

    private static List<FrameUnit> Frame() =>
        Strata.SelectMany(s => Enumerable.Range(0, s.Size).Select(i => new FrameUnit((s.Name[0] - 'a') * 10_000L + i, s.Name))).ToList();

    [Fact]
    public void TheSameSeedDrawsTheSameUnitsInAnyFrameOrderAndAnotherSeedOthers()
    {
        var frame = Frame();
        var sizes = StratifiedSampling.Allocate(Strata, 60, Allocation.Proportional);
        var first = StratifiedSampling.Draw(frame, sizes, 7).Select(d => d.Id).Order().ToList();
        var reversed = StratifiedSampling.Draw(frame.AsEnumerable().Reverse().ToList(), sizes, 7).Select(d => d.Id).Order().ToList();
        var other = StratifiedSampling.Draw(frame, sizes, 8).Select(d => d.Id).Order().ToList();
        Assert.Equal(first, reversed);
        Assert.NotEqual(first, other);
        Assert.Equal(60, first.Distinct().Count());
    }

    [Fact]
    public void WeightsSumToTheStratumSizes()
    {
        var sizes = StratifiedSampling.Allocate(Strata, 73, Allocation.Neyman);
        var drawn = StratifiedSampling.Draw(Frame(), sizes, 3);
        foreach (var s in Strata)
        {
            Assert.Equal(sizes[s.Name], drawn.Count(d => d.Stratum == s.Name));
            Assert.Equal(s.Size, drawn.Where(d => d.Stratum == s.Name).Sum(d => d.Weight), 9);
            Assert.All(drawn.Where(d => d.Stratum == s.Name), d => Assert.Equal((double)sizes[s.Name] / s.Size, d.InclusionProbability, 12));
        }
    }

    [Fact]
    public void ACensusOfEveryStratumEstimatesTheTotalExactlyWithNoError()
    {
        var values = Frame().Select(u => new SampledValue(u.Stratum, u.Id % 17)).ToList();
        var sizes = Strata.ToDictionary(s => s.Name, s => s.Size);
        var e = StratifiedEstimator.Total(values, sizes);
        Assert.Equal(values.Sum(v => v.Y), e.Value, 6);
        Assert.Equal(0, e.StandardError);
    }

    [Fact]
    public void NinetyFivePercentIntervalsCoverTheTrueTotalAboutNinetyFivePercentOfTheTime()
    {
        // Skewed values differing by stratum; 400 seeded draws of 90 units (Neyman).
        var frame = Frame();
        var y = frame.ToDictionary(u => u.Id, u => Math.Pow((StratifiedSampling.Key(99, u.Id) % 1000) / 100.0, 2) * (1 + (u.Stratum[0] - 'a')));
        var truth = y.Values.Sum();
        var std = frame.GroupBy(u => u.Stratum).ToDictionary(g => g.Key, g => StratifiedSampling.StdDev(g.Select(u => y[u.Id]).ToList()));
        var strata = Strata.Select(s => s with { StdDev = std[s.Name] }).ToList();
        var sizes = StratifiedSampling.Allocate(strata, 90, Allocation.Neyman);
        var n = strata.ToDictionary(s => s.Name, s => s.Size);
        var covered = 0;
        for (var seed = 1; seed <= 400; seed++)
        {
            var e = StratifiedEstimator.Total(StratifiedSampling.Draw(frame, sizes, seed).Select(d => new SampledValue(d.Stratum, y[d.Id])).ToList(), n);
            if (e.Lower95 <= truth && truth <= e.Upper95) covered++;
        }
        Assert.InRange(covered / 400.0, 0.90, 0.98);
    }

    [Fact]
    public void TheRatioEstimatorIsExactWhenYIsProportionalToX()
    {
        var values = Frame().Take(50).Select(u => new SampledValue(u.Stratum, 0.3 * (u.Id % 11 + 1), u.Id % 11 + 1)).ToList();
        var e = StratifiedEstimator.Ratio(values, Strata.ToDictionary(s => s.Name, s => s.Size));
        Assert.Equal(0.3, e.Value, 12);
        Assert.Equal(0, e.StandardError!.Value, 12);
    }

    [Fact]
    public void ANationalSampleStratifiesByRegionAndSizeClassWithWeightsSummingToTheUniverse()
    {
        var universe = Enumerable.Range(0, 120).Select(i => new UniverseCity($"City {i:000}", 20_000L + i * 97_000L, i % 3 == 0 ? "North" : "South", null)).ToList();
        var r = NationalSample.Draw(universe, 24, Allocation.Proportional, 5);
        Assert.Equal(24, r.Cities.Count);
        Assert.Equal(24, r.Strata.Sum(s => s.Sampled));
        foreach (var s in r.Strata)
            Assert.Equal(s.Cities, r.Cities.Where(c => c.Stratum == s.Stratum).Sum(c => c.Weight), 9);
        Assert.Contains(r.Strata, s => s.SizeClass == "1m-5m" && s.Region == "North");
        Assert.Equal(r.Cities.Select(c => c.Name), NationalSample.Draw(universe, 24, Allocation.Proportional, 5).Cities.Select(c => c.Name));
        Assert.NotEqual(r.Cities.Select(c => c.Name), NationalSample.Draw(universe, 24, Allocation.Proportional, 6).Cities.Select(c => c.Name));
        Assert.Equal(universe.Sum(c => c.Population), r.PopulationCensus);
    }
}
