namespace UrbanMonitor.Domain.Indicators;

/// <summary>The outcome of SDG 11.3.1: a value, or why there is none.</summary>
public sealed record Lcrpgr(double? Value, double? LandConsumptionRate, double? PopulationGrowthRate,
    double BuiltUpPerPersonStartM2, double BuiltUpPerPersonEndM2, string? Reason);

/// <summary>
/// SDG 11.3.1, ratio of land consumption rate to population growth rate:
/// LCRPGR = [ln(Urb_{t+n} / Urb_t) / y] / [ln(Pop_{t+n} / Pop_t) / y], with built-up areas in m² and y years between
/// the epochs. Undefined (with the reason) when an input is missing or not positive, or population did not grow.
/// </summary>
public static class LandConsumption
{
    public static Lcrpgr Compute(double builtUpStartM2, double builtUpEndM2, double populationStart, double populationEnd, double years)
    {
        double PerPerson(double area, double people) => people > 0 ? area / people : double.NaN;
        var perStart = PerPerson(builtUpStartM2, populationStart);
        var perEnd = PerPerson(builtUpEndM2, populationEnd);
        if (years <= 0) return new(null, null, null, perStart, perEnd, "The two epochs must be different years.");
        if (builtUpStartM2 <= 0 || builtUpEndM2 <= 0) return new(null, null, null, perStart, perEnd, "A built-up area of zero: both epochs need built-up land.");
        if (populationStart <= 0 || populationEnd <= 0) return new(null, null, null, perStart, perEnd, "A population of zero or less: both epochs need a population.");
        var lcr = Math.Log(builtUpEndM2 / builtUpStartM2) / years;
        var pgr = Math.Log(populationEnd / populationStart) / years;
        if (pgr <= 0)
            return new(null, lcr, pgr, perStart, perEnd,
                pgr == 0 ? "Population did not change between the epochs: the ratio is undefined (division by a zero growth rate)."
                         : "Population fell between the epochs: the ratio is not meaningful when the growth rate is negative.");
        return new(lcr / pgr, lcr, pgr, perStart, perEnd, null);
    }
}
