using NetTopologySuite.Operation.Valid;

namespace UrbanMonitor.Api.Features.Cql2;

/// <summary>
/// Turns a CQL2 tree into a SQL condition for one collection. Property names are looked up in the collection's
/// public properties and written as the catalogue's identifiers; every literal becomes a bind parameter.
/// Geometry literals are in <c>filterCrs</c> and transformed to the stored EPSG:4326 by PostGIS.
/// </summary>
public sealed class Cql2Compiler(FeatureCollection collection, Crs filterCrs, SqlParameters parameters)
{
    private const string GeometrySql = "t.geom";

    private static readonly Dictionary<string, string> SpatialFunctions = new(StringComparer.Ordinal)
    {
        ["s_intersects"] = "ST_Intersects", ["s_disjoint"] = "ST_Disjoint", ["s_within"] = "ST_Within", ["s_contains"] = "ST_Contains",
        ["s_equals"] = "ST_Equals", ["s_touches"] = "ST_Touches", ["s_crosses"] = "ST_Crosses", ["s_overlaps"] = "ST_Overlaps",
    };

    private static Cql2Exception Error(Cql2Node at, string what) => new($"Invalid filter at {at.At}: {what}.");

    public string Compile(Cql2Node node) => node switch
    {
        Cql2And a => "(" + string.Join(" AND ", a.Args.Select(Compile)) + ")",
        Cql2Or o => "(" + string.Join(" OR ", o.Args.Select(Compile)) + ")",
        Cql2Not n => "(NOT " + Compile(n.Arg) + ")",
        Cql2Compare c => CompileCompare(c),
        Cql2Like l => CompileLike(l),
        Cql2In i => CompileIn(i),
        Cql2Between b => CompileBetween(b),
        Cql2IsNull n => "(" + PropertyOnly(n.Value, "IS NULL").Sql + (n.Negated ? " IS NOT NULL)" : " IS NULL)"),
        Cql2Spatial s => CompileSpatial(s),
        Cql2Temporal t => CompileTemporal(t),
        Cql2Boolean b => b.Value ? "TRUE" : "FALSE",
        _ => throw Error(node, "expected a condition (a comparison, LIKE, IN, BETWEEN, IS NULL, or a spatial or temporal function), not a value"),
    };

    /// <summary>A scalar as SQL with its CQL2 type: string, integer, number, date, timestamp, boolean, geometry.</summary>
    private (string Sql, string Type) Scalar(Cql2Node node) => node switch
    {
        Cql2Property p when p.Name == FeatureCollection.GeometryName => (GeometrySql, "geometry"),
        Cql2Property p => collection.TryGetProperty(p.Name, out var prop)
            ? (prop.Sql, prop.Type)
            : throw Error(p, $"unknown property '{p.Name}'; the queryables of '{collection.Id}' are {string.Join(", ", collection.Properties.Select(x => x.Name))}, {FeatureCollection.GeometryName}"),
        Cql2String s => (parameters.Add(s.Value, NpgsqlTypes.NpgsqlDbType.Text), "string"),
        Cql2Number n => (parameters.Add(n.Value, NpgsqlTypes.NpgsqlDbType.Numeric), "number"),
        Cql2Boolean b => (parameters.Add(b.Value, NpgsqlTypes.NpgsqlDbType.Boolean), "boolean"),
        Cql2Date d => (parameters.Add(d.Value, NpgsqlTypes.NpgsqlDbType.Date), "date"),
        Cql2Timestamp t => (parameters.Add(t.Value, NpgsqlTypes.NpgsqlDbType.TimestampTz), "timestamp"),
        Cql2Geometry g => (GeometryLiteral(g), "geometry"),
        Cql2Interval => throw Error(node, "an INTERVAL is only allowed in temporal functions"),
        _ => throw Error(node, "expected a value or a property, not a condition"),
    };

    private (string Sql, string Type) PropertyOnly(Cql2Node node, string what)
    {
        if (node is not Cql2Property) throw Error(node, $"{what} needs a property on its left");
        return Scalar(node);
    }

    private static string Kind(string type) => type switch
    {
        "integer" or "number" => "number",
        "date" or "timestamp" => "time",
        _ => type,
    };

    private static string Describe(Cql2Node node, string type) =>
        node is Cql2Property p ? $"property '{p.Name}' ({type})" : $"a {type} value";

    private void CheckComparable(Cql2Node at, Cql2Node a, string ta, Cql2Node b, string tb)
    {
        if (ta is "geometry" || tb is "geometry") throw Error(at, "geometries are compared with spatial functions such as S_INTERSECTS, not with operators");
        if (ta is "boolean" || tb is "boolean") throw Error(at, "boolean values cannot be compared here");
        if (Kind(ta) != Kind(tb)) throw Error(at, $"type mismatch: {Describe(a, ta)} cannot be compared with {Describe(b, tb)}");
    }

    private string CompileCompare(Cql2Compare c)
    {
        var (l, tl) = Scalar(c.Left);
        var (r, tr) = Scalar(c.Right);
        CheckComparable(c, c.Left, tl, c.Right, tr);
        return $"({l} {c.Op} {r})";
    }

    private string CompileLike(Cql2Like l)
    {
        var (v, tv) = PropertyOnly(l.Value, "LIKE");
        if (tv != "string") throw Error(l, $"LIKE needs a string property; {Describe(l.Value, tv)} is not");
        if (l.Pattern is not Cql2String) throw Error(l.Pattern, "the LIKE pattern must be a string");
        var (p, _) = Scalar(l.Pattern);
        return $"({v} {(l.Negated ? "NOT LIKE" : "LIKE")} {p})";
    }

    private string CompileIn(Cql2In i)
    {
        var (v, tv) = PropertyOnly(i.Value, "IN");
        var items = new List<string>();
        foreach (var item in i.List)
        {
            var (s, ts) = Scalar(item);
            if (item is Cql2Property) throw Error(item, "IN lists hold values, not properties");
            CheckComparable(item, i.Value, tv, item, ts);
            items.Add(s);
        }
        return $"({v} {(i.Negated ? "NOT IN" : "IN")} ({string.Join(", ", items)}))";
    }

    private string CompileBetween(Cql2Between b)
    {
        var (v, tv) = PropertyOnly(b.Value, "BETWEEN");
        var (lo, tlo) = Scalar(b.Low);
        var (hi, thi) = Scalar(b.High);
        if (Kind(tv) is not ("number" or "time")) throw Error(b, $"BETWEEN needs a number or date property; {Describe(b.Value, tv)} is not");
        CheckComparable(b.Low, b.Value, tv, b.Low, tlo);
        CheckComparable(b.High, b.Value, tv, b.High, thi);
        return $"({v} {(b.Negated ? "NOT BETWEEN" : "BETWEEN")} {lo} AND {hi})";
    }

    private string CompileSpatial(Cql2Spatial s)
    {
        var (a, ta) = Scalar(s.A);
        var (b, tb) = Scalar(s.B);
        if (ta != "geometry") throw Error(s.A, $"{s.Op.ToUpperInvariant()} needs geometries; {Describe(s.A, ta)} is not one");
        if (tb != "geometry") throw Error(s.B, $"{s.Op.ToUpperInvariant()} needs geometries; {Describe(s.B, tb)} is not one");
        return $"{SpatialFunctions[s.Op]}({a}, {b})";
    }

    private string GeometryLiteral(Cql2Geometry g)
    {
        var geometry = g.Value.Copy();
        var error = new IsValidOp(geometry).ValidationError;
        if (error is not null)
            throw Error(g, $"invalid geometry: {error.Message} at POINT({error.Coordinate.X.ToString(System.Globalization.CultureInfo.InvariantCulture)} {error.Coordinate.Y.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        if (filterCrs.IsGeographic)
        {
            var env = geometry.EnvelopeInternal;
            var (minLat, maxLat) = filterCrs.LatLon ? (env.MinX, env.MaxX) : (env.MinY, env.MaxY);
            var (minLon, maxLon) = filterCrs.LatLon ? (env.MinY, env.MaxY) : (env.MinX, env.MaxX);
            if (minLat < -90 || maxLat > 90 || minLon < -180 || maxLon > 180)
                throw Error(g, filterCrs.LatLon
                    ? "coordinates out of range for EPSG:4326, whose axis order is latitude, longitude"
                    : "coordinates out of range for CRS84 (longitude, latitude)");
        }
        geometry.SRID = filterCrs.Srid;
        var p = parameters.Add(geometry);
        var sql = filterCrs.LatLon ? $"ST_FlipCoordinates({p}::geometry)" : $"{p}::geometry";
        return filterCrs.Srid == 4326 ? sql : $"ST_Transform({sql}, 4326)";
    }

    /// <summary>A temporal predicate on the layer's date property (first argument) against an instant or interval.</summary>
    private string CompileTemporal(Cql2Temporal t)
    {
        if (t.A is not Cql2Property) throw Error(t, $"{t.Op.ToUpperInvariant()} needs a date property as its first argument");
        var (p, tp) = Scalar(t.A);
        if (Kind(tp) != "time") throw Error(t.A, $"{t.Op.ToUpperInvariant()} needs a date property; {Describe(t.A, tp)} is not");
        return Temporal(t, t.Op, p, t.B);
    }

    /// <summary>Also used for the <c>datetime</c> parameter: the instant or interval <paramref name="b"/> against <paramref name="p"/>.</summary>
    public string Temporal(Cql2Node at, string op, string p, Cql2Node b)
    {
        if (b is Cql2Interval i)
        {
            var lo = i.Start is null ? null : Scalar(i.Start).Sql;
            var hi = i.End is null ? null : Scalar(i.End).Sql;
            string Both(string l, string h, string join) =>
                l.Length == 0 ? h : h.Length == 0 ? l : $"{l} {join} {h}";
            var inside = Both(lo is null ? "" : $"{p} >= {lo}", hi is null ? "" : $"{p} <= {hi}", "AND");
            var strictlyInside = Both(lo is null ? "" : $"{p} > {lo}", hi is null ? "" : $"{p} < {hi}", "AND");
            return op switch
            {
                "t_intersects" => inside.Length == 0 ? $"({p} IS NOT NULL)" : $"({inside})",
                "t_during" => strictlyInside.Length == 0 ? $"({p} IS NOT NULL)" : $"({strictlyInside})",
                "t_disjoint" => inside.Length == 0 ? "FALSE" : $"(NOT ({inside}))",
                "t_after" => hi is null ? "FALSE" : $"({p} > {hi})",
                "t_before" => lo is null ? "FALSE" : $"({p} < {lo})",
                _ => throw Error(at, $"{op.ToUpperInvariant()} of an instant and an interval is always false; use T_INTERSECTS or T_DURING"),
            };
        }
        var (x, tx) = Scalar(b);
        if (Kind(tx) != "time") throw Error(b, $"{op.ToUpperInvariant()} needs a date, timestamp or interval; {Describe(b, tx)} is not");
        return op switch
        {
            "t_after" => $"({p} > {x})",
            "t_before" => $"({p} < {x})",
            "t_equals" or "t_intersects" => $"({p} = {x})",
            "t_disjoint" => $"({p} <> {x})",
            _ => throw Error(at, $"{op.ToUpperInvariant()} needs an interval as its second argument"),
        };
    }
}
