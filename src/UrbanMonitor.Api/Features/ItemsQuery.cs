using System.Text;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Features.Cql2;

namespace UrbanMonitor.Api.Features;

/// <summary>What each row of an items query holds.</summary>
public enum RowFormat
{
    GeoJson,
    Csv,
    GeoPackage,
    Shapefile,
}

/// <summary>
/// Builds the SQL of a page of features. PostGIS writes each feature as GeoJSON text (ST_AsGeoJSON for the geometry,
/// json_build_object for the public properties) that the server streams unparsed. Identifiers come only from the
/// catalogue; every value from the request is a bind parameter. Pages are in keyset order
/// (sortby keys, then <c>city_id</c>, <c>id</c>), so the last page costs what the first does.
/// </summary>
public sealed class ItemsQuery
{
    private ItemsQuery(string sql, SqlParameters parameters, int sortKeyCount)
    {
        Sql = sql;
        Parameters = parameters;
        SortKeyCount = sortKeyCount;
    }

    public string Sql { get; }
    public SqlParameters Parameters { get; }

    /// <summary>Columns after the feature text: this many sort values (text), then city_id and id.</summary>
    public int SortKeyCount { get; }

    public NpgsqlCommand CreateCommand(NpgsqlDataSource db)
    {
        var cmd = db.CreateCommand(Sql);
        foreach (var p in Parameters.All) cmd.Parameters.Add(p);
        return cmd;
    }

    private static string GeometrySql(Crs crs, SqlParameters p) =>
        crs.Srid != 4326 ? $"ST_Transform(t.geom, {p.Add(crs.Srid, NpgsqlDbType.Integer)})"
        : crs.LatLon ? "ST_FlipCoordinates(t.geom)"
        : "t.geom";

    /// <summary>The feature's GeoJSON text in <paramref name="crs"/>, with the chosen properties, as UTF-8 bytes.</summary>
    private static string FeatureSql(Crs crs, IReadOnlyList<FeatureProperty> properties, SqlParameters p)
    {
        var geom = GeometrySql(crs, p);
        var props = properties.Count == 0
            ? "'{}'"
            : "json_build_object(" + string.Join(", ", properties.Select(x => $"'{x.Name}', {x.Sql}")) + ")::text";
        return $$"""convert_to('{"type":"Feature","id":' || t.id || ',"geometry":' || coalesce(ST_AsGeoJSON({{geom}}, {{crs.Digits}}), 'null') || ',"properties":' || {{props}} || '}', 'UTF8')""";
    }

    /// <summary>The feature as one RFC 4180 CSV line (CRLF-terminated) of id, the chosen properties and WKT, as UTF-8 bytes.</summary>
    private static string CsvLineSql(Crs crs, IReadOnlyList<FeatureProperty> properties, SqlParameters p)
    {
        static string Quoted(string sql) => $"""'"' || replace({sql}, '"', '""') || '"'""";
        var fields = new List<string> { "t.id::text" };
        fields.AddRange(properties.Select(x => x.Type == "string" ? $"coalesce({Quoted(x.Sql)}, '')" : $"coalesce(({x.Sql})::text, '')"));
        fields.Add(Quoted($"ST_AsText({GeometrySql(crs, p)}, {crs.Digits})"));
        return $"convert_to(concat_ws(',', {string.Join(", ", fields)}) || E'\\r\\n', 'UTF8')";
    }

    /// <summary>
    /// id, the properties, and the geometry as a GeoPackage binary (GPKG header, big-endian, with its xy envelope,
    /// then WKB), all made by PostGIS from <c>x.g</c>. GeoPackage stores x = longitude even for EPSG:4326.
    /// </summary>
    private static string GeoPackageRowSql(Crs crs, IReadOnlyList<FeatureProperty> properties, SqlParameters p)
    {
        var srid = p.Add(crs.Srid, NpgsqlDbType.Integer);
        var blob = $"""'\x47500002'::bytea || int4send({srid}) || float8send(ST_XMin(x.g)) || float8send(ST_XMax(x.g)) || float8send(ST_YMin(x.g)) || float8send(ST_YMax(x.g)) || ST_AsBinary(x.g)""";
        return string.Join(", ", properties.Select(x => x.Sql).Prepend("t.id").Append(blob));
    }

    /// <summary>The header line matching <see cref="CsvLineSql"/>: <c>id</c>, the property names, <c>WKT</c>.</summary>
    public static string CsvHeader(IReadOnlyList<FeatureProperty> properties) =>
        string.Join(",", properties.Select(x => x.Name).Prepend("id").Append("WKT")) + "\r\n";

    private const string From = "FROM {0} t JOIN cities c ON c.id = t.city_id";

    /// <summary>
    /// One page: <c>limit + 1</c> rows so the server knows whether a next page exists; every row when the request
    /// has no limit (an export). The first column is a GeoJSON feature or a CSV line (UTF-8 bytes); for a GeoPackage,
    /// the columns are <c>id</c>, the chosen properties (typed) and the GeoPackage geometry blob.
    /// </summary>
    public static ItemsQuery Page(ItemsRequest r, int? cityId, RowFormat format = RowFormat.GeoJson)
    {
        var p = new SqlParameters();
        var c = r.Collection;
        var sql = new StringBuilder("SELECT ").Append(format switch
        {
            RowFormat.Csv => CsvLineSql(r.OutputCrs, r.Properties, p),
            RowFormat.GeoPackage => GeoPackageRowSql(r.OutputCrs, r.Properties, p),
            RowFormat.Shapefile => string.Join(", ", r.Properties.Select(x => x.Sql).Prepend("t.id").Append(GeometrySql(r.OutputCrs with { LatLon = false }, p))),
            _ => FeatureSql(r.OutputCrs, r.Properties, p),
        });
        foreach (var k in r.SortBy) sql.Append(", (").Append(k.Property.Sql).Append(")::text");
        sql.Append(", t.city_id, t.id ").Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, From, c.TableSql));
        if (format == RowFormat.GeoPackage) sql.Append(" CROSS JOIN LATERAL (SELECT ").Append(GeometrySql(r.OutputCrs with { LatLon = false }, p)).Append(" AS g) x");

        var where = new List<string>();
        // city filters on the features' city property, so a slug that names no city (cityId null) matches nothing: an
        // empty page, as for any property value no feature has. GDAL sends a -where on city as this parameter.
        if (r.City is not null) where.Add(cityId is { } id ? $"t.city_id = {p.Add(id, NpgsqlDbType.Integer)}" : "false");
        if (r.Bbox is { } b)
        {
            var env = $"ST_MakeEnvelope({p.Add(b[0])}, {p.Add(b[1])}, {p.Add(b[2])}, {p.Add(b[3])}, {p.Add(r.BboxCrs.Srid, NpgsqlDbType.Integer)})";
            // A projected box's edges are not straight in degrees: densify before transforming.
            if (r.BboxCrs.Srid != 4326) env = $"ST_Transform(ST_Segmentize({env}, greatest({p.Add(b[2] - b[0])}, {p.Add(b[3] - b[1])}, 1) / 32), 4326)";
            where.Add($"t.geom && {env} AND ST_Intersects(t.geom, {env})");
        }
        var compiler = new Cql2Compiler(c, r.FilterCrs, p);
        if (r.Datetime is { } dt && c.DateProperty is { } date)
            where.Add(compiler.Temporal(dt, "t_intersects", date.Sql, dt));
        if (r.Filter is { } f) where.Add(compiler.Compile(f));
        if (r.After is { } after) where.Add(KeysetCondition(r.SortBy, after, p));
        if (where.Count > 0) sql.Append(" WHERE ").AppendJoin(" AND ", where);

        sql.Append(" ORDER BY ");
        foreach (var k in r.SortBy) sql.Append(k.Property.Sql).Append(k.Descending ? " DESC, " : ", ");
        sql.Append("t.city_id, t.id");
        if (r.Limit is { } limit) sql.Append(" LIMIT ").Append(p.Add(limit + 1, NpgsqlDbType.Integer));
        return new ItemsQuery(sql.ToString(), p, r.SortBy.Count);
    }

    /// <summary>One feature by its id, in <paramref name="crs"/>.</summary>
    public static ItemsQuery One(FeatureCollection c, long id, Crs crs)
    {
        var p = new SqlParameters();
        var sql = "SELECT " + FeatureSql(crs, c.Properties, p) + ", t.city_id, t.id "
            + string.Format(System.Globalization.CultureInfo.InvariantCulture, From, c.TableSql)
            + $" WHERE t.id = {p.Add(id, NpgsqlDbType.Bigint)}";
        return new ItemsQuery(sql, p, 0);
    }

    /// <summary>
    /// Rows after the cursor in the order (k1, …, kn, city_id, id), PostgreSQL's NULLS LAST for ascending keys
    /// and NULLS FIRST for descending ones.
    /// </summary>
    private static string KeysetCondition(IReadOnlyList<SortKey> keys, Cursor after, SqlParameters p)
    {
        var city = p.Add(after.CityId, NpgsqlDbType.Integer);
        var id = p.Add(after.Id, NpgsqlDbType.Bigint);
        var tail = $"(t.city_id, t.id) > ({city}, {id})";
        if (keys.Count == 0) return tail;
        var ors = new List<string>();
        var equal = new List<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            var k = keys[i];
            var v = after.SortValues[i];
            var e = k.Property.Sql;
            var value = v is null ? null : $"CAST({p.Add(v, NpgsqlDbType.Text)} AS {k.Property.PgType})";
            var beyond = (v, k.Descending) switch
            {
                (null, false) => null,
                (null, true) => $"{e} IS NOT NULL",
                (_, false) => $"({e} > {value} OR {e} IS NULL)",
                (_, true) => $"{e} < {value}",
            };
            if (beyond is not null) ors.Add("(" + string.Join(" AND ", equal.Append(beyond)) + ")");
            equal.Add(v is null ? $"{e} IS NULL" : $"{e} = {value}");
        }
        ors.Add("(" + string.Join(" AND ", equal.Append(tail)) + ")");
        return "(" + string.Join(" OR ", ors) + ")";
    }
}
