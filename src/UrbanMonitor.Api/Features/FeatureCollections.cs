using UrbanMonitor.Api.Layers;

namespace UrbanMonitor.Api.Features;

/// <summary>A property of a feed's features: a public column of the layer, or the city's slug.</summary>
/// <param name="Name">Name in the output and in filters, sortby and properties.</param>
/// <param name="Sql">SQL expression built only from catalogue identifiers (<c>t."code"</c>, <c>c.slug</c>).</param>
/// <param name="Type">JSON-schema type: <c>string</c>, <c>integer</c>, <c>number</c>, <c>date</c>.</param>
/// <param name="Description">What the value means.</param>
public sealed record FeatureProperty(string Name, string Sql, string Type, string Description)
{
    /// <summary>The PostgreSQL type a cursor value of this property is cast to.</summary>
    public string PgType => Type switch
    {
        "integer" => "bigint",
        "number" => "double precision",
        "date" => "date",
        _ => "text",
    };
}

/// <summary>An OGC collection: a layer of the catalogue with the facts the feeds need beyond it.</summary>
public sealed class FeatureCollection
{
    private FeatureCollection(LayerDefinition layer)
    {
        Layer = layer;
        var props = new List<FeatureProperty> { new("city", "c.slug", "string", "Slug of the city the feature belongs to.") };
        props.AddRange(layer.PublicColumns.Select(c => new FeatureProperty(c.Name, "t." + Quote(c.Name), c.Type, c.Description)));
        Properties = props;
        ByName = props.ToDictionary(p => p.Name, StringComparer.Ordinal);
        // The date the OGC datetime parameter filters on: the first public date column, if any.
        DateProperty = props.FirstOrDefault(p => p.Type == "date");
    }

    public LayerDefinition Layer { get; }
    public string Id => Layer.Id;

    /// <summary>Quoted table identifier from the catalogue.</summary>
    public string TableSql => Quote(Layer.Table);

    /// <summary>The properties every feature carries, in output order: <c>city</c> then the public columns.</summary>
    public IReadOnlyList<FeatureProperty> Properties { get; }

    /// <summary>The property <c>datetime</c> applies to; null when the layer has no date.</summary>
    public FeatureProperty? DateProperty { get; }

    /// <summary>The name of the geometry in filters and queryables.</summary>
    public const string GeometryName = "geom";

    private Dictionary<string, FeatureProperty> ByName { get; }

    public bool TryGetProperty(string name, out FeatureProperty property) => ByName.TryGetValue(name, out property!);

    /// <summary>The collections served: one per catalogue layer, in catalogue order.</summary>
    public static IReadOnlyList<FeatureCollection> All { get; } = LayerCatalogue.All.Select(l => new FeatureCollection(l)).ToList();

    private static readonly Dictionary<string, FeatureCollection> ById = All.ToDictionary(c => c.Id, StringComparer.Ordinal);

    public static bool TryGet(string id, out FeatureCollection collection) => ById.TryGetValue(id, out collection!);

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
