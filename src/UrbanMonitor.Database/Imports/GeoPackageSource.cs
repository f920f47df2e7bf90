using Microsoft.Data.Sqlite;
using NetTopologySuite.IO;

namespace UrbanMonitor.Database.Imports;

/// <summary>The first (or only) feature table of a GeoPackage, read row by row; its CRS from gpkg_spatial_ref_sys.</summary>
public sealed class GeoPackageSource : FeatureSource
{
    private readonly string _path;
    private readonly string _table;
    private readonly string _geometryColumn;

    private GeoPackageSource(string path, string table, string geometryColumn, int? srid, string? definition)
    {
        _path = path;
        _table = table;
        _geometryColumn = geometryColumn;
        DeclaredSrid = srid;
        CrsText = definition;
    }

    public override string Format => "gpkg";

    private static SqliteConnection Connect(string path)
    {
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        return conn;
    }

    public static GeoPackageSource Open(string path)
    {
        try
        {
            using var conn = Connect(path);
            using var cmd = conn.CreateCommand();
            cmd.CommandText = """
                SELECT g.table_name, g.column_name, s.organization, s.organization_coordsys_id, s.definition
                FROM gpkg_geometry_columns g
                JOIN gpkg_contents c ON c.table_name = g.table_name AND c.data_type = 'features'
                LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
                ORDER BY g.table_name
                """;
            using var r = cmd.ExecuteReader();
            if (!r.Read()) throw new ImportRejectedException("The GeoPackage holds no feature table.");
            var table = r.GetString(0);
            var column = r.GetString(1);
            int? srid = !r.IsDBNull(2) && string.Equals(r.GetString(2), "EPSG", StringComparison.OrdinalIgnoreCase) && !r.IsDBNull(3) ? r.GetInt32(3) : null;
            var definition = r.IsDBNull(4) ? null : r.GetString(4);
            if (r.Read()) throw new ImportRejectedException($"The GeoPackage holds several feature tables ({table}, {r.GetString(0)}, …); upload one layer per file.");
            return new GeoPackageSource(path, table, column, srid, definition);
        }
        catch (SqliteException e)
        {
            throw new ImportRejectedException($"The file is not a readable GeoPackage: {e.Message}");
        }
    }

    public override IEnumerable<SourceFeature> ReadFeatures(CancellationToken ct)
    {
        using var conn = Connect(_path);
        using var cmd = conn.CreateCommand();
        // Table and column names come from the file's own gpkg_geometry_columns, quoted as identifiers.
        cmd.CommandText = $"SELECT * FROM \"{_table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        using var r = cmd.ExecuteReader();
        var geometryOrdinal = r.GetOrdinal(_geometryColumn);
        var reader = new GeoPackageGeoReader(Factory.CoordinateSequenceFactory, Factory.PrecisionModel);
        long index = 0;
        var json = new PropertiesJson();
        var props = new Dictionary<string, object?>(StringComparer.Ordinal);
        var names = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToArray();
        while (r.Read())
        {
            ct.ThrowIfCancellationRequested();
            props.Clear();
            for (var i = 0; i < names.Length; i++)
            {
                if (i == geometryOrdinal) continue;
                var value = r.GetValue(i);
                props[names[i]] = value is DBNull or byte[] ? null : value; // blobs are not attributes
            }
            NetTopologySuite.Geometries.Geometry? geometry = null;
            string? error = null;
            var blob = r.IsDBNull(geometryOrdinal) ? null : (byte[])r.GetValue(geometryOrdinal);
            if (blob is null) error = "the row has no geometry";
            else if (GeoPackageWkb.ToEwkb(blob) is { } ewkb)
            {
                // Well-formed plain WKB: copied as it is, no geometry object built.
                yield return new SourceFeature(index++, json.Write(props), null) { Ewkb = ewkb };
                continue;
            }
            else
            {
                try
                {
                    geometry = reader.Read(blob);
                    if (geometry.IsEmpty) { geometry = null; error = "the geometry is empty"; }
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or ParseException or IndexOutOfRangeException or EndOfStreamException)
                {
                    error = "the geometry blob cannot be read: " + e.Message;
                }
            }
            yield return new SourceFeature(index++, json.Write(props), geometry, error);
        }
    }
}
