using System.Globalization;
using Npgsql;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Domain.Codes;
using UrbanMonitor.Domain.Sampling;
using T = UrbanMonitor.Api.Sampling.SamplingApi.ProblemTypes;

namespace UrbanMonitor.Api.Sampling;

/// <summary>A per-cell quantity that sample areas estimate: a total (y) or a ratio (y / x).</summary>
/// <param name="Id">Query value, e.g. <c>population</c>.</param>
/// <param name="Unit">Unit of the estimate.</param>
/// <param name="Y">Per-cell numerator.</param>
/// <param name="X">Per-cell denominator for a ratio; null for a total.</param>
public sealed record Quantity(string Id, string Unit, string Description, Func<CellValues, double> Y, Func<CellValues, double>? X = null);

/// <summary>The quantities of one frame cell, in persons, m² and counts.</summary>
public sealed record CellValues(int Cell, string Stratum, bool Sampled, double Population, double BuiltUpM2, double SettlementPopulation, long Properties);

/// <summary>Creating, reading and estimating from sample-area designs; the grid and the per-cell values come from PostGIS.</summary>
internal static class SampleAreas
{
    private static readonly string FrameSql = Sql.Load("Sampling/frame.sql");
    private static readonly string ValuesSql = Sql.Load("Sampling/values.sql");

    public static readonly IReadOnlyDictionary<string, Quantity> Quantities = new Quantity[]
    {
        new("population", "persons", "Residents, by areal interpolation of population-units into the cells", c => c.Population),
        new("built-up", "m2", "Built-up area of the design's epoch (the latest when it has none)", c => c.BuiltUpM2),
        new("settlement-population-share", "ratio", "Population in informal settlements / population (SDG 11.1.1), settlements' census population interpolated by area",
            c => c.SettlementPopulation, c => c.Population),
        new("properties", "count", "Live properties (not retired) whose point on surface lies in the cell", c => c.Properties),
    }.ToDictionary(q => q.Id, StringComparer.Ordinal);

    public static readonly string[] Stratifications = ["none", "district", "settlement", "density"];
    public static readonly string[] Shapes = ["square", "hexagon"];

    /// <summary>The largest cell, in hectares (10,000 km²: larger than any city).</summary>
    public const double MaxCellSizeHa = 1_000_000;

    /// <summary>The most cells a sampling frame may have (1 ha cells over a city of 5,000 km²; Rio's 1,204 km² at 0.25 ha).
    /// The frame is built at some 25 µs a cell on one free core (measured: Rio at 0.5 ha, 241,000 cells, 28 s on this
    /// 2-core machine under a load of 8), so a larger one would run into the 30 s command timeout.</summary>
    public const double MaxFrameCells = 500_000;

    public sealed record Created(IResult? Problem, object? Design = null, string? Code = null);

    public static async Task<Created> CreateAsync(NpgsqlDataSource db, SampleAreaRequest r, CancellationToken ct)
    {
        static Created Fail(string title, string detail, int status = 400) => new(SamplingApi.Bad(T.InvalidDesign, title, detail, status));
        if (string.IsNullOrWhiteSpace(r.City)) return Fail("City missing", "Give the city's slug in 'city'.");
        var shape = (r.Shape ?? "square").ToLowerInvariant();
        if (!Shapes.Contains(shape)) return Fail("Unknown shape", $"shape must be square or hexagon; it was '{r.Shape}'.");
        if (!CityIdentity.IsValidSlug(r.City)) return new(Problems.CityMissing(r.City));
        if (r.CellSizeHa is not { } ha || !(ha > 0) || double.IsInfinity(ha))
            return Fail("Invalid cell size", $"cellSizeHa must be a positive number of hectares; it was {r.CellSizeHa?.ToString() ?? "missing"}.");
        // Larger cells than any city cannot make a frame, and a grid of astronomically large cells overflows GEOS.
        if (ha > MaxCellSizeHa)
            return Fail("Invalid cell size", $"cellSizeHa must be at most {MaxCellSizeHa:N0} ha ({MaxCellSizeHa / 100:N0} km²); it was {ha.ToString(CultureInfo.InvariantCulture)}.");
        var stratification = (r.Stratification ?? "none").ToLowerInvariant();
        if (!Stratifications.Contains(stratification))
            return Fail("Unknown stratification", $"stratification must be one of {string.Join(", ", Stratifications)}; it was '{r.Stratification}'.");
        if (StratifiedSampling.ParseAllocation(r.Allocation) is not { } allocation)
            return Fail("Unknown allocation", $"allocation must be proportional, equal or neyman; it was '{r.Allocation}'.");
        if (r.SampleSize is not { } n || n <= 0) return Fail("Invalid sample size", "sampleSize must be a positive number of cells.");
        var neymanQuantity = r.NeymanQuantity ?? "population";
        if (!Quantities.TryGetValue(neymanQuantity, out var auxiliary) || auxiliary.X is not null)
            return Fail("Unknown Neyman quantity", "neymanQuantity must be population, built-up or properties.");
        var seed = r.Seed ?? 1;
        var areaM2 = ha * 10_000;
        // ST_SquareGrid takes the side, ST_HexagonGrid the edge (area = 3√3/2 · edge²).
        var size = shape == "square" ? Math.Sqrt(areaM2) : Math.Sqrt(2 * areaM2 / (3 * Math.Sqrt(3)));
        if (size < 1) return Fail("Invalid cell size", "Cells must be at least 1 m² (0.0001 ha).");

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        int cityId; string cityCode;
        await using (var cmd = new NpgsqlCommand("SELECT id, code FROM cities WHERE slug = $1", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = r.City });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new(Problems.CityMissing(r.City));
            (cityId, cityCode) = (reader.GetInt32(0), reader.GetString(1));
        }

        // The extent: built-up of the asked epoch, else of the latest one, else the districts' union.
        var extent = (r.Extent ?? (r.Epoch is null ? "auto" : "built-up")).ToLowerInvariant();
        int? epoch = r.Epoch;
        if (extent is "auto" or "built-up")
        {
            await using var cmd = new NpgsqlCommand("SELECT max(epoch), bool_or(epoch = $2) FROM built_up WHERE city_id = $1", conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.Epoch ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var latest = reader.IsDBNull(0) ? (int?)null : reader.GetInt32(0);
            var hasAsked = !reader.IsDBNull(1) && reader.GetBoolean(1);
            if (r.Epoch is not null && !hasAsked)
                return Fail("No built-up area for that epoch", $"The city '{r.City}' has no built-up area of epoch {r.Epoch}.", 422);
            if (latest is null && extent == "built-up")
                return Fail("No built-up area", $"The city '{r.City}' has no built-up layer; use extent 'districts'.", 422);
            epoch ??= latest;
            extent = latest is null ? "districts" : "built-up";
        }
        else if (extent != "districts") return Fail("Unknown extent", $"extent must be built-up or districts; it was '{r.Extent}'.");
        if (extent == "districts") epoch = r.Epoch;

        // Refuse at once a grid too fine to build (its cells are counted from the extent's area): it would run into the
        // command timeout, and hold a core, before failing.
        await using (var cmd = new NpgsqlCommand("""
            SELECT coalesce(sum(ST_Area(geom::geography)), 0) FROM (
                SELECT geom FROM built_up WHERE city_id = $1 AND epoch = $2 AND $3 = 'built-up'
                UNION ALL
                SELECT geom FROM districts WHERE city_id = $1 AND $3 = 'districts') s
            """, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)epoch ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = extent });
            var extentM2 = Convert.ToDouble(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            if (extentM2 / areaM2 > MaxFrameCells)
                return Fail("Frame too large", string.Create(CultureInfo.InvariantCulture,
                    $"{ha} ha cells would make a frame of about {extentM2 / areaM2:N0} cells over the {extentM2 / 1e6:N0} km² urban extent; at most {MaxFrameCells:N0}. Use cells of at least {Math.Ceiling(extentM2 / MaxFrameCells / 10_000 * 1000) / 1000} ha."), 422);
        }

        long designId;
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO sample_designs (city_id, code, shape, cell_area_m2, srid, extent_source, epoch, stratification, allocation,
                                        sample_size, seed, frame_size, strata)
            VALUES ($1, 'pending-' || gen_random_uuid(), $2, $3, 0, $4, $5, $6, $7, $8, $9, 0, '[]') RETURNING id
            """, conn, tx))
        {
            foreach (var v in new object?[] { cityId, shape, areaM2, extent, epoch, stratification, allocation.ToString().ToLowerInvariant(), n, seed })
                cmd.Parameters.Add(v is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer } : new NpgsqlParameter { Value = v });
            designId = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        var code = $"{cityCode}-SA-{designId}";

        int srid, frameSize;
        await using (var cmd = new NpgsqlCommand("CREATE TEMP TABLE um_frame (cell integer, stratum text, geom geometry) ON COMMIT DROP", conn, tx))
            await cmd.ExecuteNonQueryAsync(ct);
        await using (var cmd = new NpgsqlCommand(FrameSql, conn, tx))
        {
            foreach (var v in new object[] { cityId, designId, extent, (object?)epoch ?? DBNull.Value, shape, size, stratification })
                cmd.Parameters.Add(v is DBNull ? new NpgsqlParameter { Value = v, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer } : new NpgsqlParameter { Value = v });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (reader.IsDBNull(0))
                return Fail("No urban extent", $"The city '{r.City}' has neither a built-up layer nor districts to lay a grid over.", 422);
            (srid, frameSize) = (reader.GetInt32(0), reader.GetInt32(1));
        }
        if (frameSize == 0) return Fail("Empty frame", $"No {ha} ha cell has its centre in the urban extent; use smaller cells.", 422);
        if (n > frameSize)
            return Fail("Sample larger than the frame", $"sampleSize {n} is larger than the frame of {frameSize} cells of {ha} ha; use smaller cells or a smaller sample.", 422);
        await using (var cmd = new NpgsqlCommand("UPDATE sample_designs SET code = $3, srid = $4, frame_size = $5 WHERE city_id = $1 AND id = $2", conn, tx))
        {
            foreach (var v in new object[] { cityId, designId, code, srid, frameSize }) cmd.Parameters.Add(new NpgsqlParameter { Value = v });
            await cmd.ExecuteNonQueryAsync(ct);
        }

        // Frame strata, with S_h of the auxiliary quantity for Neyman (the only case that needs per-cell values).
        var frame = new List<FrameUnit>(frameSize);
        var std = new Dictionary<string, double>(StringComparer.Ordinal);
        if (allocation == Allocation.Neyman)
        {
            await WriteDrawAsync(conn, tx, InsertCellsSql, cityId, designId, [], ct);
            var values = await ReadValuesAsync(conn, tx, cityId, designId, false, ct);
            frame.AddRange(values.Select(v => new FrameUnit(v.Cell, v.Stratum)));
            foreach (var g in values.GroupBy(v => v.Stratum, StringComparer.Ordinal))
                std[g.Key] = StratifiedSampling.StdDev(g.Select(auxiliary.Y).ToList());
        }
        else
        {
            await using var cmd = new NpgsqlCommand("SELECT cell, stratum FROM um_frame", conn, tx);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) frame.Add(new FrameUnit(reader.GetInt32(0), reader.GetString(1)));
        }
        var strata = frame.GroupBy(u => u.Stratum, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Stratum(g.Key, g.Count(), std.GetValueOrDefault(g.Key))).ToList();
        var sizes = StratifiedSampling.Allocate(strata, n, allocation);
        var drawn = StratifiedSampling.Draw(frame, sizes, seed);

        // Neyman's cells are stored already (its S_h needed their values): mark the drawn ones. Otherwise store the frame
        // now, the drawn cells marked as they are written: one INSERT, no UPDATE.
        await WriteDrawAsync(conn, tx, allocation == Allocation.Neyman ? MarkDrawnSql : InsertCellsSql, cityId, designId, drawn, ct);
        var strataJson = System.Text.Json.JsonSerializer.Serialize(strata.Select(s => new
        {
            stratum = s.Name, cells = s.Size, sampled = sizes[s.Name],
            inclusionProbability = (double)sizes[s.Name] / s.Size,
            weight = sizes[s.Name] > 0 ? (double)s.Size / sizes[s.Name] : (double?)null,
            neymanStdDev = allocation == Allocation.Neyman ? s.StdDev : (double?)null,
        }));
        await using (var cmd = new NpgsqlCommand("UPDATE sample_designs SET strata = $3::jsonb WHERE city_id = $1 AND id = $2", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = designId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = strataJson });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return new(null, await DescribeAsync(db, code, ct), code);
    }

    // The frame (um_frame) into sample_cells in one statement, the drawn cells ($3 cells, $4 π, $5 weights) marked.
    private const string InsertCellsSql = """
        INSERT INTO sample_cells (city_id, design_id, cell, stratum, sampled, inclusion_probability, weight, geom)
        SELECT $1, $2, f.cell, f.stratum, d.cell IS NOT NULL, d.pi, d.w, ST_SetSRID(f.geom, 4326)
        FROM um_frame f LEFT JOIN unnest($3::int[], $4::float8[], $5::float8[]) AS d(cell, pi, w) ON d.cell = f.cell
        """;

    // The drawn cells of a design already stored, marked.
    private const string MarkDrawnSql = """
        UPDATE sample_cells c SET sampled = true, inclusion_probability = d.pi, weight = d.w
        FROM unnest($3::int[], $4::float8[], $5::float8[]) AS d(cell, pi, w)
        WHERE c.city_id = $1 AND c.design_id = $2 AND c.cell = d.cell
        """;

    private static async Task WriteDrawAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, int cityId, long designId,
        IReadOnlyList<DrawnUnit> drawn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = designId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = drawn.Select(d => (int)d.Id).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = drawn.Select(d => d.InclusionProbability).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = drawn.Select(d => d.Weight).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private const string DescribeSql = """
        SELECT json_build_object('code', sd.code, 'city', c.slug, 'shape', sd.shape, 'cellAreaM2', sd.cell_area_m2,
               'cellSizeHa', sd.cell_area_m2 / 10000, 'srid', sd.srid, 'extent', sd.extent_source, 'epoch', sd.epoch,
               'stratification', sd.stratification, 'allocation', sd.allocation, 'sampleSize', sd.sample_size, 'seed', sd.seed,
               'frameSize', sd.frame_size, 'strata', sd.strata, 'createdAt', sd.created_at,
               'links', json_build_array(
                   json_build_object('rel', 'items', 'type', 'application/geo+json', 'href', '/api/sample-areas/' || sd.code || '/cells'),
                   json_build_object('rel', 'estimates', 'type', 'application/json', 'href', '/api/sample-areas/' || sd.code || '/estimates?quantity=population')))
        FROM sample_designs sd JOIN cities c ON c.id = sd.city_id
        """;

    public static async Task<System.Text.Json.JsonElement?> DescribeAsync(NpgsqlDataSource db, string code, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(DescribeSql + " WHERE sd.code = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = code });
        return await cmd.ExecuteScalarAsync(ct) is string json ? System.Text.Json.JsonDocument.Parse(json).RootElement.Clone() : null;
    }

    public static async Task<System.Text.Json.JsonElement> ListAsync(NpgsqlDataSource db, string? city, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            $"SELECT coalesce(json_agg(x.j ORDER BY x.id), '[]')::text FROM ({DescribeSql.Replace("SELECT json_build_object", "SELECT sd.id, json_build_object", StringComparison.Ordinal)} WHERE $1::text IS NULL OR c.slug = $1) x(id, j)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)city ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return System.Text.Json.JsonDocument.Parse((string)(await cmd.ExecuteScalarAsync(ct))!).RootElement.Clone();
    }

    /// <summary>Per-cell values of a design's frame (or of its drawn cells only).</summary>
    public static async Task<List<CellValues>> ReadValuesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, long designId, bool sampledOnly, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ValuesSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = designId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = sampledOnly });
        var list = new List<CellValues>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new CellValues(reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2),
                Convert.ToDouble(reader.GetValue(3)), Convert.ToDouble(reader.GetValue(4)), Convert.ToDouble(reader.GetValue(5)), Convert.ToInt64(reader.GetValue(6))));
        return list;
    }

    /// <summary>The estimate of a quantity from the drawn cells, beside its census value over the whole frame; null if no such design.</summary>
    public static async Task<object?> EstimateAsync(NpgsqlDataSource db, string code, Quantity q, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        int cityId; long designId;
        await using (var cmd = new NpgsqlCommand("SELECT city_id, id FROM sample_designs WHERE code = $1", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = code });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            (cityId, designId) = (reader.GetInt32(0), reader.GetInt64(1));
        }
        var frame = await ReadValuesAsync(conn, null, cityId, designId, false, ct);
        var estimate = Estimate(frame, q);
        double census = q.X is null ? frame.Sum(q.Y) : frame.Sum(q.X) is var x and not 0 ? frame.Sum(q.Y) / x : double.NaN;
        return new
        {
            sample = code,
            quantity = q.Id,
            unit = q.Unit,
            definition = q.Description,
            estimate = new
            {
                value = Finite(estimate.Value),
                standardError = estimate.StandardError is { } se ? Finite(se) : null,
                ci95 = estimate.Lower95 is { } lo && estimate.Upper95 is { } hi ? new[] { lo, hi } : null,
                sampleSize = estimate.SampleSize,
                estimator = estimate.Estimator,
                reason = estimate.StandardError is null ? "A stratum has a single drawn cell (or the denominator is zero), so the standard error cannot be estimated." : null,
            },
            census = new { value = Finite(census), cells = frame.Count, method = "the same quantity summed over every cell of the frame" },
            strata = frame.GroupBy(c => c.Stratum, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new { stratum = g.Key, cells = g.Count(), sampled = g.Count(c => c.Sampled) }),
            method = "Stratified simple random sample of grid cells (UN-Habitat National Sample of Cities); weights N_h/n_h; 95 % CI = estimate ± 1.96 SE",
        };
    }

    /// <summary>The estimate from a frame's drawn cells (pure; used by the endpoint and the coverage tests).</summary>
    public static Estimate Estimate(IReadOnlyList<CellValues> frame, Quantity q)
    {
        var sizes = frame.GroupBy(c => c.Stratum, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var sample = frame.Where(c => c.Sampled).Select(c => new SampledValue(c.Stratum, q.Y(c), q.X?.Invoke(c) ?? 0)).ToList();
        return q.X is null ? StratifiedEstimator.Total(sample, sizes) : StratifiedEstimator.Ratio(sample, sizes);
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
