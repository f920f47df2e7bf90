namespace UrbanMonitor.Database.Imports;

/// <summary>Geometry a layer takes.</summary>
public enum GeometryFamily
{
    Polygon, Line, Point,

    /// <summary>Any of point, line or polygon (or their multi forms), per feature, kept as it comes (community projects).</summary>
    Any,
}

/// <summary>Value type of a target column; decides the SQL cast and the attribute rule.</summary>
public enum ColumnType
{
    Text, Integer, NonNegativeInteger, Date, Capacity, CodePart,

    /// <summary>A share of households, 0..1 inclusive (a percentage such as 45 is refused: write 0.45).</summary>
    Share,

    /// <summary>A settlement's upgrading status: none, planned, in-progress or upgraded.</summary>
    UpgradingStatus,

    /// <summary>An amount of money ≥ 0 with at most two decimals (up to 14 whole digits), in the city's currency.</summary>
    Money,

    /// <summary>One of the column's <see cref="ImportColumn.Choices"/>.</summary>
    Choice,
}

/// <summary>A column filled with the id of another layer's row found by its code in the same city (a project's
/// council by the council's code). A value that names no row is reported per feature.</summary>
/// <param name="Table">The table looked in (catalogue identifier).</param>
/// <param name="Key">Its column the value is matched against (unique per city).</param>
/// <param name="Option">The job option that sets the code for every feature, also the name used in the report.</param>
public sealed record ImportLookup(string Table, string Key, string Option);

/// <summary>A rule between columns of one feature. <paramref name="Broken"/> is SQL that is true when the feature breaks
/// it, with <c>{column}</c> standing for the column's text value (null when absent); checked after every column's own
/// type rule, so casts of typed columns are safe.</summary>
public sealed record ImportRule(string Name, string Broken, string Reason);

/// <summary>A column of a layer table that an import fills from a source attribute or a job option.</summary>
/// <param name="Column">Column name in the table (catalogue identifier).</param>
/// <param name="Candidates">Source attribute names tried in order, case-insensitively, when the job maps none.</param>
/// <param name="Required">A feature without a value is rejected.</param>
public sealed record ImportColumn(string Column, ColumnType Type, bool Required, params string[] Candidates)
{
    /// <summary>Another column whose value stands in when this one has none (a district's name falls back to its code).</summary>
    public string? Fallback { get; init; }

    /// <summary>The value a feature without one gets (a catalogue constant, never input), for NOT NULL columns.</summary>
    public string? Default { get; init; }

    /// <summary>The values a <see cref="ColumnType.Choice"/> column takes (catalogue constants).</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Set when the column holds the id of a row of another layer found by its code.</summary>
    public ImportLookup? Lookup { get; init; }

    /// <summary>The job option (query parameter) that sets this column for every feature; the column name unless it
    /// clashes with a job parameter (transit <c>mode</c> is <c>transit-mode</c>, as <c>mode</c> is the import mode)
    /// or is a lookup (a project's <c>council</c> code, not its council_id).</summary>
    public string OptionName => Lookup?.Option ?? (Column == "mode" ? "transit-mode" : Column);
}

/// <summary>An importable layer: its table, geometry family, columns and how a new import replaces old rows.</summary>
/// <param name="UniqueColumn">A column that must be unique in the file and the layer (e.g. code), or null.</param>
/// <param name="ReplaceBy">Null: an import replaces the city's whole layer; a column: only rows whose value in it occurs in the import (built-up epochs).</param>
/// <param name="Append">The import adds to the layer and replaces nothing (properties: a registry is never overwritten); unique values must then be new.</param>
/// <param name="CodeFromParts">The unique <c>code</c> is built as <c>{CITYCODE}-{district_code}-{block}-{parcel}</c>.</param>
public sealed record ImportLayer(string Id, string Table, GeometryFamily Family, IReadOnlyList<ImportColumn> Columns, string? UniqueColumn = null,
    string? ReplaceBy = null, bool Append = false, bool CodeFromParts = false)
{
    /// <summary>Rules between a feature's columns, checked after each column's own rules.</summary>
    public IReadOnlyList<ImportRule> Rules { get; init; } = [];
}

/// <summary>The fixed catalogue of layers that can be imported per city (CONTRACTS.md, "Layers and URLs").</summary>
public static class ImportLayers
{
    // Declared before All: static fields are initialised in order.
    /// <summary>The needs a council ranks and a project addresses (community_needs() in 0080_community.sql).</summary>
    private static readonly string[] CommunityNeeds = ["water", "drainage", "roads", "lighting", "open-space", "health", "security"];

    public static IReadOnlyList<ImportLayer> All { get; } =
    [
        // Bulk survey import: parcels arrive as surveyed; registration rules (overlaps, parties, rights) apply later.
        new("properties", "properties", GeometryFamily.Polygon,
        [
            new("district_code", ColumnType.CodePart, true, "district_code", "district", "dist_no"),
            new("block", ColumnType.CodePart, true, "block", "block_numb", "block_no"),
            new("parcel", ColumnType.CodePart, true, "parcel", "parcel_id", "parcel_no"),
        ], UniqueColumn: "code", Append: true, CodeFromParts: true),
        new("districts", "districts", GeometryFamily.Polygon,
        [
            new("code", ColumnType.Text, true, "code", "codbairro", "district", "district_code", "codigo", "id"),
            new("name", ColumnType.Text, false, "name", "nome", "district_name") { Fallback = "code" },
            new("population", ColumnType.NonNegativeInteger, false, "population", "pop", "pesdom_pp"),
            new("households", ColumnType.NonNegativeInteger, false, "households", "numdom_pp"),
        ], UniqueColumn: "code"),
        new("settlements", "settlements", GeometryFamily.Polygon,
        [
            new("code", ColumnType.Text, true, "code", "cod_favela", "settlement_code", "id", "objectid"),
            new("name", ColumnType.Text, false, "name", "nome", "settlement_name") { Fallback = "code" },
            new("population", ColumnType.NonNegativeInteger, false, "population", "pop_sabren", "pop"),
            new("households", ColumnType.NonNegativeInteger, false, "households", "dom_sabren"),
            new("source", ColumnType.Text, false, "source", "fonte"),
            new("surveyed_on", ColumnType.Date, false, "surveyed_on", "data_cadas", "survey_date", "date"),
            // The survey round this file is (?survey_round=2024); without one, the year of the survey date.
            new("survey_round", ColumnType.Text, false, "survey_round", "round"),
            new("upgrading_status", ColumnType.UpgradingStatus, false, "upgrading_status", "upgrading"),
            // The five UN-Habitat household deprivations, as the share of households lacking each.
            new("lacks_water", ColumnType.Share, false, "lacks_water", "deprivation_water"),
            new("lacks_sanitation", ColumnType.Share, false, "lacks_sanitation", "deprivation_sanitation"),
            new("lacks_living_area", ColumnType.Share, false, "lacks_living_area", "deprivation_living_area"),
            new("lacks_durable_housing", ColumnType.Share, false, "lacks_durable_housing", "deprivation_durable_housing"),
            new("lacks_tenure_security", ColumnType.Share, false, "lacks_tenure_security", "deprivation_tenure_security"),
        ], UniqueColumn: "code"),
        new("streets", "streets", GeometryFamily.Line,
        [
            new("name", ColumnType.Text, false, "name", "nome", "street_name"),
            new("class", ColumnType.Text, false, "class", "highway", "type", "fclass"),
        ]),
        new("open-spaces", "open_spaces", GeometryFamily.Polygon,
        [
            new("name", ColumnType.Text, false, "name", "nome"),
            new("kind", ColumnType.Text, false, "kind", "type", "leisure", "landuse"),
        ]),
        new("built-up", "built_up", GeometryFamily.Polygon,
        [
            new("epoch", ColumnType.Integer, true, "epoch", "year"),
        ], ReplaceBy: "epoch"),
        new("population-units", "population_units", GeometryFamily.Polygon,
        [
            new("code", ColumnType.Text, false, "code", "id", "unit_code"),
            new("population", ColumnType.NonNegativeInteger, true, "population", "pop", "pesdom_pp"),
            new("year", ColumnType.Integer, false, "year"),
        ]),
        new("hazard-zones", "hazard_zones", GeometryFamily.Polygon,
        [
            new("hazard", ColumnType.Text, true, "hazard", "type", "kind"),
            new("level", ColumnType.Text, false, "level", "risk", "class"),
        ]),
        new("facilities", "facilities", GeometryFamily.Point,
        [
            new("kind", ColumnType.Text, true, "kind", "type", "amenity"),
            new("name", ColumnType.Text, false, "name", "nome"),
        ]),
        new("transit-stops", "transit_stops", GeometryFamily.Point,
        [
            new("code", ColumnType.Text, true, "code", "stop_id", "id", "fid", "cod"),
            new("name", ColumnType.Text, false, "name", "stop_name", "nome"),
            new("capacity", ColumnType.Capacity, true, "capacity"),
            new("mode", ColumnType.Text, true, "mode"),
            new("peak_departures", ColumnType.NonNegativeInteger, false, "peak_departures"),
        ], UniqueColumn: "code"),
        // Community Development Councils (0080_community.sql): added, never replaced, since members, plans and projects
        // hang on them; codes must be new. Members come through the API (personal data is never bulk-loaded).
        new("councils", "councils", GeometryFamily.Polygon,
        [
            new("code", ColumnType.Text, true, "code", "cdc_code", "council_code", "id"),
            new("name", ColumnType.Text, false, "name", "cdc_name", "council_name", "nome") { Fallback = "code" },
            new("district_code", ColumnType.Text, false, "district_code", "district", "nahia", "codbairro"),
            new("elected_on", ColumnType.Date, false, "elected_on", "election_date", "elected"),
            new("households", ColumnType.NonNegativeInteger, false, "households", "hh"),
        ], UniqueColumn: "code", Append: true),
        // Projects under community contracts (0080_community.sql): a point, line or polygon each, under the council whose
        // code the feature names. Added, never replaced (payments, status history and audits hang on them). The money
        // and status rules of the API hold here too: status and type from the fixed lists, women's person-days within
        // the person-days, a third party named as contractor. Payments come through the API, one by one.
        new("projects", "projects", GeometryFamily.Any,
        [
            new("code", ColumnType.Text, true, "code", "project_code", "id"),
            new("council_id", ColumnType.Text, true, "council", "council_code", "cdc_code", "cdc")
                { Lookup = new ImportLookup("councils", "code", "council") },
            new("name", ColumnType.Text, false, "name", "project_name", "title", "nome") { Fallback = "code" },
            new("type", ColumnType.Choice, true, "type", "need", "project_type", "sector") { Choices = CommunityNeeds },
            new("executing_party", ColumnType.Choice, false, "executing_party", "executed_by", "party")
                { Choices = ["council", "third-party"], Default = "council" },
            new("contractor", ColumnType.Text, false, "contractor"),
            new("contract_amount", ColumnType.Money, true, "contract_amount", "block_grant", "amount", "grant"),
            new("status", ColumnType.Choice, false, "status")
                { Choices = ["planned", "contracted", "in-progress", "completed", "maintained"], Default = "planned" },
            new("beneficiaries", ColumnType.NonNegativeInteger, false, "beneficiaries"),
            new("person_days", ColumnType.NonNegativeInteger, false, "person_days", "jobs_person_days") { Default = "0" },
            new("women_person_days", ColumnType.NonNegativeInteger, false, "women_person_days", "jobs_women_person_days") { Default = "0" },
        ], UniqueColumn: "code", Append: true)
        {
            Rules =
            [
                new("women-days", "coalesce({women_person_days}, '0')::numeric > coalesce({person_days}, '0')::numeric",
                    "women_person_days cannot exceed person_days"),
                new("contractor-missing", "{executing_party} = 'third-party' AND {contractor} IS NULL",
                    "a project executed by a third party under the council's supervision names its contractor"),
            ],
        },
    ];


    private static readonly Dictionary<string, ImportLayer> ById = All.ToDictionary(l => l.Id, StringComparer.Ordinal);

    public static bool TryGet(string id, out ImportLayer layer) => ById.TryGetValue(id, out layer!);

    /// <summary>Defaults a job gets for a layer when it names none (transit stops from a plain file are buses).</summary>
    public static IReadOnlyDictionary<string, string> Defaults(string layer) => layer switch
    {
        "transit-stops" => new Dictionary<string, string> { ["capacity"] = "low", ["mode"] = "bus" },
        _ => new Dictionary<string, string>(),
    };
}
