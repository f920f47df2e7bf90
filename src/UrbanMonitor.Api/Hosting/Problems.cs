namespace UrbanMonitor.Api.Hosting;

/// <summary>Stable RFC 9457 problem <c>type</c> URIs, one per kind of error.</summary>
public static class Problems
{
    public const string Prefix = "urn:urbanmonitor:problem:";
    public const string NotFound = Prefix + "not-found";
    public const string CityNotFound = Prefix + "city-not-found";
    public const string BadRequest = Prefix + "bad-request";
    public const string Unavailable = Prefix + "database-unavailable";
    public const string CollectionNotFound = Prefix + "collection-not-found";
    public const string FeatureNotFound = Prefix + "feature-not-found";
    public const string InvalidParameter = Prefix + "invalid-parameter";
    public const string InvalidFilter = Prefix + "invalid-filter";
    public const string InvalidCrs = Prefix + "invalid-crs";
    public const string InvalidBbox = Prefix + "invalid-bbox";
    public const string NotAcceptable = Prefix + "not-acceptable";
    public const string LayerNotFound = Prefix + "layer-not-found";
    public const string TileOutOfRange = Prefix + "tile-out-of-range";
    public const string BadTileRequest = Prefix + "bad-tile-request";
    public const string TileFormatNotFound = Prefix + "tile-format-not-found";

    /// <summary>The default type for a bare status code.</summary>
    public static string TypeFor(int? status) => status switch
    {
        400 => BadRequest,
        401 => Prefix + "unauthorized",
        403 => Prefix + "forbidden",
        404 => NotFound,
        405 => Prefix + "method-not-allowed",
        406 => NotAcceptable,
        409 => Prefix + "conflict",
        413 => Prefix + "too-large",
        415 => Prefix + "unsupported-media-type",
        422 => Prefix + "unprocessable",
        429 => Prefix + "rate-limited",
        503 => Unavailable,
        _ => Prefix + "error",
    };

    public static IResult CityMissing(string slug) => TypedResults.Problem(
        type: CityNotFound, title: "City not found", statusCode: StatusCodes.Status404NotFound,
        detail: $"There is no city with the slug '{slug}'. GET /api/cities lists the cities.");
}
