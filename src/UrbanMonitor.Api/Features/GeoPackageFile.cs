using Microsoft.Data.Sqlite;
using Npgsql;

namespace UrbanMonitor.Api.Features;

/// <summary>
/// Writes one feature table into a new GeoPackage 1.3 file (SQLite), row by row from an items query in
/// <see cref="RowFormat.GeoPackage"/> form, so memory stays constant however many features there are.
/// </summary>
internal static class GeoPackageFile
{
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string ColumnType(string type) => type switch
    {
        "integer" => "INTEGER",
        "number" => "DOUBLE",
        "date" => "DATE",
        _ => "TEXT",
    };

    /// <summary>Fills <paramref name="path"/> with the table <paramref name="collection"/>'s id in <paramref name="crs"/>
    /// (x = longitude for EPSG:4326, as GeoPackage wants), its definition and EPSG:4326's being PostGIS's srtext;
    /// returns the number of features written.</summary>
    public static async Task<long> WriteAsync(string path, FeatureCollection collection, IReadOnlyList<FeatureProperty> properties, Crs crs,
        string srsDefinition, string wgs84Definition, NpgsqlDataReader reader, CancellationToken ct)
    {
        var table = collection.Id;
        await using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        await db.OpenAsync(ct);
        async Task Exec(string sql, params (string Name, object? Value)[] args)
        {
            await using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await Exec("PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
        await Exec("""
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
                organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
                description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
                ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL);
            """);
        await Exec("INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, $def, NULL)", ("$def", wgs84Definition));
        if (crs.Srid != 4326)
            await Exec("INSERT INTO gpkg_spatial_ref_sys VALUES ($name, $srid, 'EPSG', $srid, $def, NULL)", ("$name", "EPSG:" + crs.Srid), ("$srid", crs.Srid), ("$def", srsDefinition));
        await Exec("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ($t, 'features', $t, $d, $srid)",
            ("$t", table), ("$d", collection.Layer.Description), ("$srid", crs.Srid));
        await Exec("INSERT INTO gpkg_geometry_columns VALUES ($t, 'geom', $type, $srid, 0, 0)",
            ("$t", table), ("$type", collection.Layer.GeometryType.ToUpperInvariant()), ("$srid", crs.Srid));
        var columns = string.Concat(properties.Select(p => $", {Quote(p.Name)} {ColumnType(p.Type)}"));
        await Exec($"CREATE TABLE {Quote(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {collection.Layer.GeometryType.ToUpperInvariant()}{columns})");

        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        await using var insert = db.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT INTO {Quote(table)} (fid, geom{string.Concat(properties.Select(p => ", " + Quote(p.Name)))}) VALUES ($p0, $g{string.Concat(properties.Select((_, i) => $", $p{i + 1}"))})";
        var fid = insert.Parameters.Add("$p0", SqliteType.Integer);
        var geom = insert.Parameters.Add("$g", SqliteType.Blob);
        var values = properties.Select((_, i) => insert.Parameters.Add($"$p{i + 1}", SqliteType.Text)).ToArray();
        long count = 0;
        while (await reader.ReadAsync(ct))
        {
            fid.Value = reader.GetInt64(0);
            for (var i = 0; i < properties.Count; i++)
            {
                var column = i + 1;
                values[i].Value = await reader.IsDBNullAsync(column, ct) ? DBNull.Value : properties[i].Type switch
                {
                    "integer" => reader.GetInt64(column),
                    "number" => reader.GetDouble(column),
                    "date" => reader.GetFieldValue<DateOnly>(column).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    _ => reader.GetString(column),
                };
            }
            geom.Value = await reader.GetFieldValueAsync<byte[]>(properties.Count + 1, ct);
            await insert.ExecuteNonQueryAsync(ct);
            count++;
        }
        await tx.CommitAsync(ct);
        return count;
    }
}
