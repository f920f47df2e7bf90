namespace UrbanMonitor.Api.Layers;

/// <summary>An attribute of a layer that may be shown to anyone (tiles, feeds): never personal data.</summary>
/// <param name="Name">Column name in the table (an identifier from this catalogue, never from a request).</param>
/// <param name="Type">JSON-schema type: <c>string</c>, <c>integer</c>, <c>number</c>, <c>date</c>.</param>
/// <param name="Description">What the value means, with units.</param>
public sealed record LayerColumn(string Name, string Type, string Description);

/// <summary>
/// A layer of the service (also an OGC collection id, an MVT layer name and a tile URL segment). Every layer table
/// has <c>city_id</c>, <c>id</c> (unique per city) and <c>geom</c> in EPSG:4326.
/// </summary>
/// <param name="Id">Layer id as in CONTRACTS.md, e.g. <c>transit-stops</c>.</param>
/// <param name="Table">Table holding it.</param>
/// <param name="Title">Human title.</param>
/// <param name="Description">One sentence on what the layer holds.</param>
/// <param name="GeometryType">OGC geometry type of <c>geom</c>: <c>MultiPolygon</c>, <c>Point</c>, …</param>
/// <param name="PublicColumns">Attributes safe for anonymous users, in output order.</param>
public sealed record LayerDefinition(
    string Id, string Table, string Title, string Description, string GeometryType, IReadOnlyList<LayerColumn> PublicColumns);

/// <summary>The fixed catalogue of layers: the only source of table and column identifiers in built SQL.</summary>
public static class LayerCatalogue
{
    private static readonly LayerColumn Code = new("code", "string", "Human code, unique in its city.");
    private static readonly LayerColumn Name = new("name", "string", "Name, in any script.");
    private static readonly LayerColumn Population = new("population", "integer", "Residents (persons); null when unknown.");
    private static readonly LayerColumn Households = new("households", "integer", "Households; null when unknown.");

    public static IReadOnlyList<LayerDefinition> All { get; } =
    [
        new("properties", "properties", "Properties", "Registered and surveyed properties (parcels). No personal data.", "MultiPolygon",
        [
            Code,
            new("status", "string", "surveyed, verified, registered or retired."),
            new("district_code", "string", "Code of the district the parcel lies in."),
            new("block", "string", "Block number."),
            new("parcel", "string", "Parcel number in its block."),
        ]),
        new("settlements", "settlements", "Informal settlements", "Informal settlement boundaries with census population.", "MultiPolygon",
            [Code, Name, Population, Households, new("source", "string", "Source of the boundary and population."), new("surveyed_on", "date", "Date of the boundary survey.")]),
        new("districts", "districts", "Districts", "Administrative districts of each city (Rio: neighbourhoods; Mazar-e-Sharif: nahias).", "MultiPolygon",
            [Code, Name, Population, Households]),
        new("transit-stops", "transit_stops", "Transit stops", "Public transport stops; capacity low (bus, matatu) or high (metro, rail).", "Point",
        [
            Code, Name,
            new("capacity", "string", "low or high (SDG 11.2.1)."),
            new("mode", "string", "bus, metro, rail, matatu, …"),
            new("peak_departures", "integer", "Departures in the stop's busiest weekday hour (GTFS imports); null when unknown."),
        ]),
        new("streets", "streets", "Streets", "Street centre lines (for network access, SDG 11.2.1).", "MultiLineString",
            [Name, new("class", "string", "Street class: arterial, local, …")]),
        new("open-spaces", "open_spaces", "Open spaces", "Public open spaces: parks, squares, playgrounds (SDG 11.7.1).", "MultiPolygon",
            [Name, new("kind", "string", "park, square, playground, …")]),
        new("built-up", "built_up", "Built-up area", "Built-up extent per epoch (SDG 11.3.1 land consumption).", "MultiPolygon",
            [new("epoch", "integer", "Year of the extent.")]),
        new("population-units", "population_units", "Population units", "Census or estimate units for areal interpolation of population.", "MultiPolygon",
            [Code, new("population", "integer", "Residents (persons)."), new("year", "integer", "Year of the count.")]),
        new("hazard-zones", "hazard_zones", "Hazard zones", "Areas exposed to a hazard (flood, landslide, …).", "MultiPolygon",
            [new("hazard", "string", "flood, landslide, earthquake, …"), new("level", "string", "Exposure level.")]),
        new("facilities", "facilities", "Facilities", "Schools, health facilities, markets and other services.", "Point",
            [new("kind", "string", "school, health, market, …"), Name]),
        // Community-led upgrading (0080_community.sql): public views only; members' names live in council_members.
        new("councils", "councils", "Community Development Councils",
            "Elected councils' areas with their composition counts (no member names).", "MultiPolygon",
        [
            Code, Name,
            new("district_code", "string", "Code of the district the council lies in."),
            new("elected_on", "date", "Date of the council's election."),
            new("status", "string", "active or dissolved."),
            new("members", "integer", "Current members."),
            new("women", "integer", "Current women members."),
            new("displaced", "integer", "Current members representing displaced people."),
            new("composition", "string", "ok, or the rules broken: no-woman, no-displaced."),
            new("needs", "string", "What the council asked for: the needs of its latest action plan, most pressing first, comma-separated; null before its first plan."),
        ]),
        new("projects", "projects", "Community projects",
            "Projects under community contracts: points, lines or polygons with type, contract amount and status.", "Geometry",
        [
            Code, Name,
            new("council_id", "integer", "Id of the council holding the contract."),
            new("type", "string", "water, drainage, roads, lighting, open-space, health or security."),
            new("executing_party", "string", "council, or third-party under the council's supervision."),
            new("contract_amount", "number", "Block grant / contract amount, in the city's currency."),
            new("status", "string", "planned, contracted, in-progress, completed or maintained."),
            new("beneficiaries", "integer", "People who benefit; null when unknown."),
            new("person_days", "integer", "Jobs created, in person-days."),
            new("women_person_days", "integer", "Of which worked by women, in person-days."),
        ]),
    ];

    private static readonly Dictionary<string, LayerDefinition> ById = All.ToDictionary(l => l.Id, StringComparer.Ordinal);

    /// <summary>Finds a layer by its id (case-sensitive, as in URLs).</summary>
    public static bool TryGet(string id, out LayerDefinition layer) => ById.TryGetValue(id, out layer!);
}
