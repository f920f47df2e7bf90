using NetTopologySuite.Geometries;

namespace UrbanMonitor.Database.Loading;

/// <summary>
/// One feature on its way into a layer table: the union of the columns any core layer takes. A layer's publish SQL
/// picks the columns it needs; the rest stay null. Geometry must be EPSG:4326 (SRID 4326).
/// </summary>
public sealed class StagedFeature
{
    public required NetTopologySuite.Geometries.Geometry Geometry { get; init; }
    public string? Code { get; init; }
    public string? Name { get; init; }
    public long? Population { get; init; }
    public long? Households { get; init; }
    public string? DistrictCode { get; init; }
    public string? Block { get; init; }
    public string? Parcel { get; init; }
    public string? Capacity { get; init; }
    public string? Mode { get; init; }
    public string? Source { get; init; }
    public DateOnly? SurveyedOn { get; init; }

    /// <summary>Facility or open-space kind, street class.</summary>
    public string? Kind { get; init; }

    /// <summary>Built-up epoch or population year.</summary>
    public int? Year { get; init; }

    /// <summary>Transit stop departures in its busiest weekday hour.</summary>
    public int? PeakDepartures { get; init; }

    /// <summary>The source attributes kept as JSON text (an object).</summary>
    public string Attributes { get; init; } = "{}";
}

/// <summary>Where a layer came from: shown in TileJSON attribution and OGC licence links.</summary>
public sealed record LayerSource(string Source, string Licence, string? Url = null);

/// <summary>A city's identity as the loaders create it.</summary>
public sealed record CityDefinition(string Slug, string Code, string Name, string Country, IReadOnlyList<(int Year, long Population, string Source)> Population);

/// <summary>Point geometries use this factory too, so every staged geometry carries SRID 4326.</summary>
internal static class Wgs84
{
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);
}
