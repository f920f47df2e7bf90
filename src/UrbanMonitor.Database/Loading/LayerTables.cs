using NpgsqlTypes;
using Npgsql;

namespace UrbanMonitor.Database.Loading;

/// <summary>
/// The fixed catalogue of layers the loaders write: layer id → table and publish SQL (embedded next to this file).
/// Rows go by binary COPY into a session staging table, then one set-wise INSERT … SELECT publishes them, repairing
/// invalid geometry with ST_MakeValid and forcing 2D multi-polygons where the table wants them.
/// </summary>
public static class LayerTables
{
    private static readonly Dictionary<string, string> PublishSql = new(StringComparer.Ordinal)
    {
        ["districts"] = Embedded("publish_districts.sql"),
        ["settlements"] = Embedded("publish_settlements.sql"),
        ["properties"] = Embedded("publish_properties.sql"),
        ["transit-stops"] = Embedded("publish_transit_stops.sql"),
        ["streets"] = Embedded("publish_streets.sql"),
        ["open-spaces"] = Embedded("publish_open_spaces.sql"),
        ["built-up"] = Embedded("publish_built_up.sql"),
        ["population-units"] = Embedded("publish_population_units.sql"),
        ["facilities"] = Embedded("publish_facilities.sql"),
        ["hazard-zones"] = Embedded("publish_hazard_zones.sql"),
    };

    /// <summary>Layer ids this catalogue can load.</summary>
    public static IReadOnlyCollection<string> Layers => PublishSql.Keys;

    /// <summary>Copies <paramref name="features"/> into staging and publishes them into the layer's table inside the
    /// caller's transaction. Returns (published rows, geometries that needed repair).</summary>
    public static async Task<(long Published, long Repaired)> PublishAsync(
        NpgsqlConnection conn, int cityId, string layer, IEnumerable<StagedFeature> features, LayerSource source, CancellationToken ct = default)
    {
        if (!PublishSql.TryGetValue(layer, out var publish)) throw new ArgumentException($"Unknown layer '{layer}'.", nameof(layer));

        await using (var stage = new NpgsqlCommand(Embedded("stage.sql"), conn))
            await stage.ExecuteNonQueryAsync(ct);

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY stage (ord, code, name, population, households, district_code, block, parcel, capacity, mode, source, surveyed_on, kind, year, peak_departures, attributes, geom) FROM STDIN (FORMAT BINARY)", ct))
        {
            long ord = 0;
            foreach (var f in features)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(ord++, NpgsqlDbType.Bigint, ct);
                await WriteNullable(copy, f.Code, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Name, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Population, NpgsqlDbType.Bigint, ct);
                await WriteNullable(copy, f.Households, NpgsqlDbType.Bigint, ct);
                await WriteNullable(copy, f.DistrictCode, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Block, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Parcel, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Capacity, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Mode, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Source, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.SurveyedOn, NpgsqlDbType.Date, ct);
                await WriteNullable(copy, f.Kind, NpgsqlDbType.Text, ct);
                await WriteNullable(copy, f.Year, NpgsqlDbType.Integer, ct);
                await WriteNullable(copy, f.PeakDepartures, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(f.Attributes, NpgsqlDbType.Jsonb, ct);
                await copy.WriteAsync(f.Geometry, NpgsqlDbType.Geometry, ct);
            }
            await copy.CompleteAsync(ct);
        }

        long repaired;
        await using (var count = new NpgsqlCommand("SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom)) FROM stage", conn) { CommandTimeout = 0 })
            repaired = (long)(await count.ExecuteScalarAsync(ct))!;

        long published;
        // A million parcels with their indexes and triggers take longer than Npgsql's default 30 s.
        await using (var insert = new NpgsqlCommand(publish, conn) { CommandTimeout = 0 })
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = cityId });
            published = await insert.ExecuteNonQueryAsync(ct);
        }

        await using (var src = new NpgsqlCommand(Embedded("upsert_layer_source.sql"), conn))
        {
            src.Parameters.Add(new NpgsqlParameter { Value = cityId });
            src.Parameters.Add(new NpgsqlParameter { Value = layer });
            src.Parameters.Add(new NpgsqlParameter { Value = source.Source });
            src.Parameters.Add(new NpgsqlParameter { Value = source.Licence });
            src.Parameters.Add(new NpgsqlParameter { Value = (object?)source.Url ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await src.ExecuteNonQueryAsync(ct);
        }
        return (published, repaired);
    }

    private static async Task WriteNullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct)
    {
        if (value is null) await copy.WriteNullAsync(ct);
        else await copy.WriteAsync(value, type, ct);
    }

    internal static string Embedded(string name)
    {
        var asm = typeof(LayerTables).Assembly;
        using var stream = asm.GetManifestResourceStream("UrbanMonitor.Database.Loading." + name)
            ?? throw new InvalidOperationException($"Embedded SQL {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
