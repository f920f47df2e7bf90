using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using Npgsql;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Layers;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// <c>GET /api/cities/{slug}/districts/{code}/package.gpkg</c>: every layer's features touching one district, public
/// columns only, EPSG:4326, as an OGC GeoPackage 1.2 (one table per layer id) for work without a connection.
/// </summary>
internal static class DistrictGeoPackage
{
    private static readonly string FeaturesTemplate = Sql.Load("Tiles/package_features.sql");

    private static readonly Dictionary<string, string> FeaturesSql = TileLayers.All.ToDictionary(l => l.Id, l => FeaturesTemplate
        .Replace("{{table}}", Quote(l.Layer.Table), StringComparison.Ordinal)
        .Replace("{{columns}}", string.Join(", ", l.Layer.PublicColumns.Select(c => "t." + Quote(c.Name))), StringComparison.Ordinal), StringComparer.Ordinal);

    public static async Task<IResult> GetAsync(string slug, string code, NpgsqlDataSource db, CancellationToken ct)
    {
        var (_, missing) = await PackageDistrict.FindAsync(db, slug, code, ct);
        if (missing is not null) return missing;

        var path = Path.Combine(Path.GetTempPath(), $"um-package-{Guid.NewGuid():N}.gpkg");
        try
        {
            await using (var gpkg = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                await gpkg.OpenAsync(ct);
                await ExecAsync(gpkg, null, """
                    PRAGMA application_id = 1196444487; -- 'GPKG'
                    PRAGMA user_version = 10200;
                    CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
                    INSERT INTO gpkg_spatial_ref_sys VALUES
                        ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
                        ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
                        ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
                    CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
                        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
                        srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
                    CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name),
                        FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
                    """, ct);
                await using var tx = (SqliteTransaction)await gpkg.BeginTransactionAsync(ct);
                foreach (var layer in TileLayers.All)
                    await WriteLayerAsync(gpkg, tx, layer.Layer, slug, code, db, ct);
                await tx.CommitAsync(ct);
            }
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            return Results.Stream(stream, "application/geopackage+sqlite3", fileDownloadName: $"{slug}-{code}.gpkg");
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private static async Task WriteLayerAsync(SqliteConnection gpkg, SqliteTransaction tx, LayerDefinition layer, string slug, string code, NpgsqlDataSource db, CancellationToken ct)
    {
        var table = Quote(layer.Id);
        var columns = string.Join("", layer.PublicColumns.Select(c => $", {Quote(c.Name)} {SqliteType(c.Type)}"));
        await ExecAsync(gpkg, tx, $"CREATE TABLE {table} (fid INTEGER PRIMARY KEY, geom {layer.GeometryType.ToUpperInvariant()}{columns})", ct);

        await using var insert = gpkg.CreateCommand();
        insert.Transaction = tx;
        var names = new[] { "fid", "geom" }.Concat(layer.PublicColumns.Select(c => c.Name)).ToArray();
        insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", names.Select(Quote))}) VALUES ({string.Join(", ", names.Select((_, i) => "$p" + i))})";
        var parameters = names.Select((_, i) => insert.Parameters.Add("$p" + i, Microsoft.Data.Sqlite.SqliteType.Blob)).ToArray();
        foreach (var (p, i) in parameters.Select((p, i) => (p, i)).Skip(2))
            p.SqliteType = layer.PublicColumns[i - 2].Type == "integer" ? Microsoft.Data.Sqlite.SqliteType.Integer : Microsoft.Data.Sqlite.SqliteType.Text;
        parameters[0].SqliteType = Microsoft.Data.Sqlite.SqliteType.Integer;

        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        await using (var cmd = db.CreateCommand(FeaturesSql[layer.Id]))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slug });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var n = layer.PublicColumns.Count;
            while (await reader.ReadAsync(ct))
            {
                parameters[0].Value = reader.GetInt64(0);
                var wkb = (byte[])reader[n + 1];
                double x0 = reader.GetDouble(n + 2), y0 = reader.GetDouble(n + 3), x1 = reader.GetDouble(n + 4), y1 = reader.GetDouble(n + 5);
                (minX, minY, maxX, maxY) = (Math.Min(minX, x0), Math.Min(minY, y0), Math.Max(maxX, x1), Math.Max(maxY, y1));
                parameters[1].Value = GeoPackageBlob(wkb, x0, y0, x1, y1);
                for (var i = 0; i < n; i++)
                    parameters[i + 2].Value = reader.IsDBNull(i + 1) ? DBNull.Value
                        : layer.PublicColumns[i].Type == "integer" ? reader.GetInt64(i + 1) : Text(reader.GetValue(i + 1));
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
        var empty = minX > maxX;
        await using var contents = gpkg.CreateCommand();
        contents.Transaction = tx;
        contents.CommandText = """
            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES ($t, 'features', $t, $d, $x0, $y0, $x1, $y1, 4326);
            INSERT INTO gpkg_geometry_columns VALUES ($t, 'geom', $g, 4326, 0, 0);
            """;
        contents.Parameters.AddWithValue("$t", layer.Id);
        contents.Parameters.AddWithValue("$d", layer.Description);
        contents.Parameters.AddWithValue("$g", layer.GeometryType.ToUpperInvariant());
        contents.Parameters.AddWithValue("$x0", empty ? DBNull.Value : minX);
        contents.Parameters.AddWithValue("$y0", empty ? DBNull.Value : minY);
        contents.Parameters.AddWithValue("$x1", empty ? DBNull.Value : maxX);
        contents.Parameters.AddWithValue("$y1", empty ? DBNull.Value : maxY);
        await contents.ExecuteNonQueryAsync(ct);
    }

    // GeoPackage geometry blob: "GP", version 0, flags (little-endian, xy envelope), SRS id, envelope, then the WKB.
    private static byte[] GeoPackageBlob(byte[] wkb, double minX, double minY, double maxX, double maxY)
    {
        var blob = new byte[8 + 32 + wkb.Length];
        blob[0] = (byte)'G';
        blob[1] = (byte)'P';
        blob[2] = 0;
        blob[3] = 0b0000_0011; // envelope [minx, maxx, miny, maxy], little-endian
        BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(4), 4326);
        BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(8), minX);
        BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(16), maxX);
        BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(24), minY);
        BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(32), maxY);
        wkb.CopyTo(blob, 40);
        return blob;
    }

    // GeoPackage dates are ISO 8601 text.
    private static string Text(object value) => value switch
    {
        DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string SqliteType(string type) => type switch
    {
        "integer" => "INTEGER",
        "number" => "REAL",
        "date" => "DATE",
        _ => "TEXT",
    };

    private static async Task ExecAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
