using UrbanMonitor.Domain.Indicators;

namespace UrbanMonitor.Domain.Tests;

public class LandConsumptionTests
{
    [Fact]
    public void LandGrowingTwiceAsFastAsPeopleGivesTwo()
    {
        // Built-up ×4 while population ×2 over 10 years: ln 4 / ln 2 = 2.
        var r = LandConsumption.Compute(1_000_000, 4_000_000, 100_000, 200_000, 10);
        Assert.Null(r.Reason);
        Assert.Equal(2.0, r.Value!.Value, 9);
        Assert.Equal(Math.Log(4) / 10, r.LandConsumptionRate!.Value, 12);
        Assert.Equal(10.0, r.BuiltUpPerPersonStartM2);
        Assert.Equal(20.0, r.BuiltUpPerPersonEndM2);
    }

    [Theory]
    [InlineData(1e6, 2e6, 1000, 1000, 10, "did not change")]
    [InlineData(1e6, 2e6, 1000, 900, 10, "fell")]
    [InlineData(1e6, 2e6, 0, 900, 10, "population of zero")]
    [InlineData(0, 2e6, 1000, 1100, 10, "built-up area of zero")]
    [InlineData(1e6, 2e6, 1000, 1100, 0, "different years")]
    public void ImpossibleInputsGiveAReasonNotANumber(double u0, double u1, double p0, double p1, double years, string reason)
    {
        var r = LandConsumption.Compute(u0, u1, p0, p1, years);
        Assert.Null(r.Value);
        Assert.Contains(reason, r.Reason);
    }
}
