using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;

namespace UrbanMonitor.Api.Features;

/// <summary>What the OpenAPI document says of each query parameter of the feature resources.</summary>
public static class QueryText
{
    public const string Limit = "Page size: default 100; values above 10000 are served as 10000 pages with a next link.";
    public const string Bbox = "minx,miny,maxx,maxy in bbox-crs (default CRS84 longitude/latitude; EPSG:4326 is latitude first).";
    public const string BboxCrs = "CRS of bbox: a URI such as http://www.opengis.net/def/crs/EPSG/0/32642.";
    public const string Datetime = "RFC 3339 date, timestamp or interval (a/b, open ends ..) on the layer's date, e.g. settlements' surveyed_on.";
    public const string Crs = "CRS of the output geometries: CRS84 (default), EPSG:4326 (latitude first), EPSG:3857, UTM zones EPSG:326xx/327xx.";
    public const string Filter = "CQL2 filter (text or JSON per filter-lang) on the queryables.";
    public const string FilterLang = "cql2-text (default) or cql2-json.";
    public const string FilterCrs = "CRS of the geometry literals in filter (default CRS84).";
    public const string Sortby = "Comma-separated properties, each prefixed by + (ascending, default) or - (descending).";
    public const string Properties = "Comma-separated properties to include (default: all public properties).";
    public const string City = "Only the features of this city (its slug, e.g. rio-de-janeiro); a slug that names no city matches nothing.";
    public const string Cursor = "Opaque position of the next page; take it from the next link.";
    public const string F = "json (GeoJSON, default) or html.";
    public const string Format = "The file: geojson (default), csv (id, the properties, WKT), gpkg (GeoPackage) or shp (zipped Shapefile).";
}

/// <summary>The filters of <c>/collections/{id}/items</c> and <c>/export</c> as the OpenAPI document shows them. They bind
/// as text only, so that <see cref="ItemsRequest"/> validates every value and answers a precise 400.</summary>
public class FilterParameters
{
    [FromQuery(Name = "bbox"), Description(QueryText.Bbox)] public string? Bbox { get; init; }
    [FromQuery(Name = "bbox-crs"), Description(QueryText.BboxCrs)] public string? BboxCrs { get; init; }
    [FromQuery(Name = "datetime"), Description(QueryText.Datetime)] public string? Datetime { get; init; }
    [FromQuery(Name = "crs"), Description(QueryText.Crs)] public string? Crs { get; init; }
    [FromQuery(Name = "filter"), Description(QueryText.Filter)] public string? Filter { get; init; }
    [FromQuery(Name = "filter-lang"), Description(QueryText.FilterLang)] public string? FilterLang { get; init; }
    [FromQuery(Name = "filter-crs"), Description(QueryText.FilterCrs)] public string? FilterCrs { get; init; }
    [FromQuery(Name = "sortby"), Description(QueryText.Sortby)] public string? Sortby { get; init; }
    [FromQuery(Name = "properties"), Description(QueryText.Properties)] public string? Properties { get; init; }
    [FromQuery(Name = "city"), Description(QueryText.City)] public string? City { get; init; }
}

/// <summary>The query parameters of <c>/collections/{id}/items</c>: the filters and the page.</summary>
public sealed class ItemsParameters : FilterParameters
{
    [FromQuery(Name = "limit"), Description(QueryText.Limit)] public string? Limit { get; init; }
    [FromQuery(Name = "cursor"), Description(QueryText.Cursor)] public string? Cursor { get; init; }
    [FromQuery(Name = "f"), Description(QueryText.F)] public string? F { get; init; }
}

/// <summary>The query parameters of <c>/collections/{id}/export</c>: the filters, no paging, and the file's format
/// (<see cref="ItemsRequest.KnownForExport"/>).</summary>
public sealed class ExportParameters : FilterParameters
{
    [FromQuery(Name = "format"), Description(QueryText.Format)] public string? Format { get; init; }
}

/// <summary>The query parameters of <c>/collections/{id}/items/{featureId}</c> as the OpenAPI document shows them
/// (OGC API - Features Part 2 asks for crs on a single feature too).</summary>
public sealed record ItemParameters(
    [property: FromQuery(Name = "crs"), Description("CRS of the output geometry: CRS84 (default), EPSG:4326 (latitude first), EPSG:3857, UTM zones EPSG:326xx/327xx.")] string? Crs,
    [property: FromQuery(Name = "f"), Description(QueryText.F)] string? F);

/// <summary>The query parameters of <c>/collections/properties/changes</c> as the OpenAPI document shows them.</summary>
public sealed record ChangesParameters(
    [property: FromQuery(Name = "since"), Description("The cursor of the last poll (from the previous answer); none: from the first change.")] string? Since,
    [property: FromQuery(Name = "limit"), Description("Changes per answer: 1 to 10000, default 1000.")] string? Limit,
    [property: FromQuery(Name = "city"), Description("Only the changes of this city (its slug).")] string? City);
