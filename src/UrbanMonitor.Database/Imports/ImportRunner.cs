using System.Text;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Database.Audit;

namespace UrbanMonitor.Database.Imports;

/// <summary>What a client asks for when uploading a layer.</summary>
/// <param name="Options">Column constants (<c>epoch=2015</c>, <c>kind=school</c>, <c>capacity=high</c>) and explicit
/// mappings <c>map.&lt;column&gt;=&lt;source attribute&gt;</c>.</param>
public sealed record ImportRequest(
    string CitySlug, string Layer, string Mode = "all-or-nothing", string? Crs = null,
    IReadOnlyDictionary<string, string>? Options = null, string? Source = null, string? Licence = null, string? FileName = null,
    string? RequestedBy = null);

/// <summary>A prepared job: the upload is readable, the city, layer, mode and CRS are known.</summary>
public sealed record PreparedImport(Guid JobId, int CityId, ImportLayer Layer, int Srid, FeatureSource Source, ImportRequest Request);

/// <summary>No city with that slug.</summary>
public sealed class CityNotFoundException(string slug) : Exception($"There is no city with the slug '{slug}'.")
{
    public string Slug { get; } = slug;
}

/// <summary>
/// The import pipeline every upload goes through (API and CLI alike): binary COPY of the file's features into
/// <c>import_staging</c> → set-wise validation in SQL (geometry present, of the layer's type, valid — else the reason
/// and location —, coordinates inside lon/lat range after transformation, required and typed attributes, unique
/// codes) recorded per feature in <c>import_issues</c> → one transaction that publishes (<c>all-or-nothing</c>: only if
/// every feature is valid; <c>valid-only</c>: the valid ones) replacing the city's previous rows of the layer.
/// Staging rows are removed at the end; a killed import leaves nothing visible.
/// </summary>
public sealed class ImportRunner(NpgsqlDataSource db)
{
    public static readonly string[] Modes = ["all-or-nothing", "valid-only"];

    /// <summary>Checks everything that can be checked before the work starts and records a queued job.
    /// Throws <see cref="ImportRejectedException"/> (4xx) or <see cref="CityNotFoundException"/>.</summary>
    public async Task<PreparedImport> PrepareAsync(ImportRequest request, string path, CancellationToken ct = default)
    {
        if (!ImportLayers.TryGet(request.Layer, out var layer))
            throw new ImportRejectedException(
                $"'{request.Layer}' is not an importable layer. Importable: {string.Join(", ", ImportLayers.All.Select(l => l.Id))}.", 404, "unknown-layer");
        if (!Modes.Contains(request.Mode))
            throw new ImportRejectedException($"mode must be all-or-nothing or valid-only, not '{request.Mode}'.", 400, "bad-request");
        int cityId;
        await using (var city = db.CreateCommand("SELECT id FROM cities WHERE slug = $1"))
        {
            city.Parameters.Add(new NpgsqlParameter { Value = request.CitySlug });
            cityId = await city.ExecuteScalarAsync(ct) as int? ?? throw new CityNotFoundException(request.CitySlug);
        }
        var source = ImportFile.Open(path, request.FileName);
        try
        {
            var srid = await CrsResolver.ResolveAsync(db, source, request.Crs, ct);
            var id = Guid.NewGuid();
            await using var insert = db.CreateCommand("""
                INSERT INTO import_jobs (city_id, id, layer, format, mode, file_name, source_srid, options, requested_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """);
            insert.Parameters.Add(new NpgsqlParameter { Value = cityId });
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = layer.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = source.Format });
            insert.Parameters.Add(new NpgsqlParameter { Value = request.Mode });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)request.FileName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = srid });
            insert.Parameters.Add(new NpgsqlParameter
            {
                Value = System.Text.Json.JsonSerializer.Serialize(request.Options ?? new Dictionary<string, string>()),
                NpgsqlDbType = NpgsqlDbType.Jsonb,
            });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)request.RequestedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await insert.ExecuteNonQueryAsync(ct);
            return new PreparedImport(id, cityId, layer, srid, source, request);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Runs a prepared job to its end (succeeded or failed, recorded in import_jobs). Reports features read.</summary>
    public async Task RunAsync(PreparedImport job, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        // Held for the whole run: the start-up sweep of interrupted jobs skips jobs whose lock is taken.
        await using var guard = await db.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended($1::text, 0))", guard))
        {
            take.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            await take.ExecuteNonQueryAsync(ct);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var timings = new Dictionary<string, long>(StringComparer.Ordinal);
        void Lap(string phase) { timings[phase] = clock.ElapsedMilliseconds; clock.Restart(); }
        long published = 0;
        try
        {
            await SetPhaseAsync(job.JobId, "staging", running: true);
            var read = await StageAsync(job, progress, ct);
            Lap("stagingMs");
            await SetPhaseAsync(job.JobId, "validating", featuresRead: read);
            var columns = await ResolveColumnsAsync(job, ct);
            var invalid = await ValidateAsync(job, columns, ct);
            Lap("validatingMs");
            await SetPhaseAsync(job.JobId, "publishing", featuresInvalid: invalid);
            published = await PublishAsync(job, columns, read, invalid, timings, ct);
            Lap("publishingMs");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await FailAsync(job.JobId, Explain(e));
        }
        catch (OperationCanceledException)
        {
            await FailAsync(job.JobId, "The import was cancelled; nothing was published.");
            throw;
        }
        finally
        {
            await CleanStagingAsync(job.JobId);
            Lap("cleanupMs");
            // Parcels published (the job already says succeeded, whatever happens here): the partitioned registry's
            // statistics are brought up to a big publish at once; the keeper of the service catches up with small ones.
            // Best effort: statistics are advice to the planner, and failing to gather them must not fail the import.
            if (published >= AnalyzeAfter && job.Layer.Table == "properties")
            {
                try
                {
                    await Registration.RegistryStatistics.RefreshAsync(db, force: true, CancellationToken.None);
                    Lap("analyzingMs");
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException) { }
            }
            await SaveTimingsAsync(job.JobId, timings);
            job.Source.Dispose();
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended($1::text, 0))", guard);
            release.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static string Explain(Exception e) => e switch
    {
        PostgresException p => $"{p.MessageText}{(p.Detail is { } d ? " (" + d + ")" : "")}",
        System.Text.Json.JsonException j => "The file could not be read to its end: " + j.Message,
        _ => e.Message,
    };

    // Reading and parsing run on their own thread while this one writes the binary COPY: two cores, two stages.
    private async Task<long> StageAsync(PreparedImport job, IProgress<long>? progress, CancellationToken ct)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<SourceFeature>(
            new System.Threading.Channels.BoundedChannelOptions(8192) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var f in job.Source.ReadFeatures(stop.Token))
                {
                    if (!channel.Writer.TryWrite(f)) await channel.Writer.WriteAsync(f, stop.Token);
                }
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, stop.Token);

        long count = 0;
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using (var copy = await conn.BeginBinaryImportAsync(
                "COPY import_staging (city_id, job_id, feature_index, properties, geom, parse_error) FROM STDIN (FORMAT BINARY)", ct))
            {
                await foreach (var f in channel.Reader.ReadAllAsync(ct))
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(job.CityId, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(job.JobId, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(f.Index, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(f.PropertiesJson, NpgsqlDbType.Jsonb, ct);
                    if (f.Ewkb is { } ewkb)
                    {
                        GeoPackageWkb.SetSrid(ewkb, job.Srid);
                        await copy.WriteAsync(ewkb, NpgsqlDbType.Bytea, ct); // the bytes geometry's binary input reads
                    }
                    else if (f.Geometry is { } g)
                    {
                        g.SRID = job.Srid;
                        await copy.WriteAsync(g, NpgsqlDbType.Geometry, ct);
                    }
                    else await copy.WriteNullAsync(ct);
                    if (f.ParseError is { } err) await copy.WriteAsync(err, NpgsqlDbType.Text, ct);
                    else await copy.WriteNullAsync(ct);
                    if (++count % 100_000 == 0)
                    {
                        progress?.Report(count);
                        await SetPhaseAsync(job.JobId, "staging", featuresRead: count);
                    }
                }
                await copy.CompleteAsync(ct);
            }
            // Fresh rows have no statistics: without them the planner walks a million rows by index.
            await using var analyze = new NpgsqlCommand("ANALYZE import_staging", conn) { CommandTimeout = 0 };
            await analyze.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await stop.CancelAsync();
            try { await reader; } catch (OperationCanceledException) { }
        }
        progress?.Report(count);
        return count;
    }

    /// <summary>A target column's value: from a source attribute (key) or a constant, as SQL parameters.</summary>
    public sealed record ResolvedColumn(ImportColumn Column, string? Key, string? Constant);

    private async Task<IReadOnlyList<ResolvedColumn>> ResolveColumnsAsync(PreparedImport job, CancellationToken ct)
    {
        var keys = new List<string>();
        await using (var cmd = db.CreateCommand(
            "SELECT DISTINCT k FROM (SELECT jsonb_object_keys(properties) AS k FROM import_staging WHERE job_id = $1 AND feature_index < 1000) x"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) keys.Add(r.GetString(0));
        }
        var options = job.Request.Options ?? new Dictionary<string, string>();
        var defaults = ImportLayers.Defaults(job.Layer.Id);
        string? Find(string name) => keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.Ordinal))
                                     ?? keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        return job.Layer.Columns.Select(c =>
        {
            if (options.TryGetValue("map." + c.Column, out var mapped))
                return new ResolvedColumn(c, Find(mapped) ?? throw new ImportRejectedException(
                    $"map.{c.Column}={mapped}: the file has no attribute '{mapped}'. Its attributes: {string.Join(", ", keys)}.", 422, "bad-mapping"), null);
            if (options.TryGetValue(c.OptionName, out var constant)) return new ResolvedColumn(c, null, constant);
            var key = c.Candidates.Select(Find).FirstOrDefault(k => k is not null);
            return new ResolvedColumn(c, key, key is null ? defaults.GetValueOrDefault(c.Column) : null);
        }).ToArray();
    }

    private static string Value(int keyParam, int constParam) =>
        $"nullif(btrim(coalesce(s.properties->>${keyParam}::text, ${constParam}::text)), '')";

    private static void AddColumnParameters(NpgsqlCommand cmd, IReadOnlyList<ResolvedColumn> columns)
    {
        foreach (var c in columns)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)c.Key ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)c.Constant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        }
    }

    private static (string[] Types, string Description) Family(GeometryFamily family) => family switch
    {
        GeometryFamily.Polygon => (["ST_Polygon", "ST_MultiPolygon"], "Polygon or MultiPolygon"),
        GeometryFamily.Line => (["ST_LineString", "ST_MultiLineString"], "LineString or MultiLineString"),
        GeometryFamily.Any => (["ST_Point", "ST_MultiPoint", "ST_LineString", "ST_MultiLineString", "ST_Polygon", "ST_MultiPolygon"],
            "a Point, LineString or Polygon (or a Multi- of one)"),
        _ => (["ST_Point"], "Point"),
    };

    // Parameters: $1 job, $2 layer id, $3 srid, then (key, constant) per column from $4.
    private async Task<long> ValidateAsync(PreparedImport job, IReadOnlyList<ResolvedColumn> columns, CancellationToken ct)
    {
        var (types, description) = Family(job.Layer.Family);
        var rules = new StringBuilder();
        var reasons = new StringBuilder();
        for (var i = 0; i < columns.Count; i++)
        {
            var c = columns[i].Column;
            var v = Value(4 + 2 * i, 5 + 2 * i);
            var hint = columns[i].Key is null && columns[i].Constant is null
                ? $"no attribute {string.Join("/", c.Candidates)} in the file; pass ?{c.OptionName}= or ?map.{c.Column}=<attribute>"
                : $"attribute {columns[i].Key ?? c.Column}";
            if (c.Required)
            {
                rules.Append($"\n            WHEN {v} IS NULL THEN 'missing-{c.Column}'");
                reasons.Append($"\n        WHEN 'missing-{c.Column}' THEN 'required value {c.Column} is missing ({hint})'");
            }
            var check = c.Type switch
            {
                ColumnType.Integer => $"{v} !~ '^-?[0-9]+(\\.0+)?$'",
                ColumnType.NonNegativeInteger => $"{v} !~ '^[0-9]+(\\.0+)?$'",
                ColumnType.Date => $"um_try_date({v}) IS NULL",
                ColumnType.Capacity => $"{v} NOT IN ('low', 'high')",
                ColumnType.CodePart => $"{v} ~ '[-/[:space:]]'",
                ColumnType.Share => $"{v} !~ '^(0*\\.[0-9]+|0+(\\.[0-9]*)?|0*1(\\.0*)?)$'",
                ColumnType.UpgradingStatus => $"{v} NOT IN ('none', 'planned', 'in-progress', 'upgraded')",
                ColumnType.Money => $"{v} !~ '^[0-9]{{1,14}}(\\.[0-9]{{1,2}})?$'",
                ColumnType.Choice => $"{v} NOT IN ({string.Join(", ", c.Choices.Select(Literal))})",
                _ => null,
            };
            if (check is null) continue;
            var expected = c.Type switch
            {
                ColumnType.Integer => "a whole number",
                ColumnType.NonNegativeInteger => "a whole number ≥ 0",
                ColumnType.Date => "a date (YYYY-MM-DD)",
                ColumnType.CodePart => "a code part without hyphen, slash or space",
                ColumnType.Share => "a share of households between 0 and 1 (45 per cent is 0.45)",
                ColumnType.UpgradingStatus => "none, planned, in-progress or upgraded",
                ColumnType.Money => "an amount ≥ 0 with at most two decimals",
                ColumnType.Choice => "one of " + string.Join(", ", c.Choices),
                _ => "low or high",
            };
            rules.Append($"\n            WHEN {v} IS NOT NULL AND {check} THEN 'type-{c.Column}'");
            reasons.Append($"\n        WHEN 'type-{c.Column}' THEN format('{c.Column} must be {expected}, not %L', {v.Replace("s.properties", "c.properties", StringComparison.Ordinal)})");
        }
        AppendLookupsAndRules(job.Layer, columns, rules, reasons);

        var typeList = string.Join(", ", types.Select(t => $"'{t}'"));
        // The lon/lat box of the geometry. In EPSG:4326 it is cheap enough to compute at each use, which keeps the
        // scan free of sub-plans so PostgreSQL can run it in parallel; a transform is computed once, in a sub-plan.
        var range = job.Srid == 4326
            ? """
              ST_XMin(Box3D(s.geom)) < -180 OR ST_XMax(Box3D(s.geom)) > 180 OR ST_YMin(Box3D(s.geom)) < -90 OR ST_YMax(Box3D(s.geom)) > 90
                                   OR NOT (ST_XMin(Box3D(s.geom)) - ST_XMin(Box3D(s.geom)) = 0 AND ST_YMax(Box3D(s.geom)) - ST_YMax(Box3D(s.geom)) = 0)
              """
            : """
              (SELECT ST_XMin(e) < -180 OR ST_XMax(e) > 180 OR ST_YMin(e) < -90 OR ST_YMax(e) > 90
                                   OR NOT (ST_XMin(e) - ST_XMin(e) = 0 AND ST_YMax(e) - ST_YMax(e) = 0)
                            FROM (SELECT Box3D(ST_Transform(ST_Envelope(s.geom), 4326)) AS e) b)
              """;
        var sql = $"""
            WITH checked AS (
                SELECT s.city_id, s.job_id, s.feature_index, s.properties, s.geom, s.parse_error,
                    CASE
                        WHEN s.geom IS NULL THEN 'geometry-missing'
                        WHEN ST_IsEmpty(s.geom) THEN 'geometry-empty'
                        WHEN ST_GeometryType(s.geom) NOT IN ({typeList}) THEN 'geometry-type'
                        WHEN NOT ST_IsValid(s.geom) THEN 'geometry-invalid'
                        WHEN {range}
                            THEN 'coordinates-out-of-range'{rules}
                    END AS rule
                FROM import_staging s
                WHERE s.job_id = $1)
            SELECT c.city_id, c.job_id, c.feature_index, c.rule,
                CASE c.rule
                    WHEN 'geometry-missing' THEN coalesce(c.parse_error, 'the feature has no geometry')
                    WHEN 'geometry-empty' THEN 'the geometry is empty'
                    WHEN 'geometry-type' THEN format('a %s cannot go into layer %s, which takes {description}', substr(ST_GeometryType(c.geom), 4), $2::text)
                    WHEN 'geometry-invalid' THEN format('%s at %s', (ST_IsValidDetail(c.geom)).reason,
                        ST_AsText(CASE WHEN $3 = 4326 THEN (ST_IsValidDetail(c.geom)).location ELSE ST_Transform((ST_IsValidDetail(c.geom)).location, 4326) END, 7))
                    WHEN 'coordinates-out-of-range' THEN format('coordinates fall outside longitude -180..180 / latitude -90..90 when read as EPSG:%s: is that the file''s CRS? (pass ?crs=EPSG:<code>)', $3::int){reasons}
                END,
                CASE WHEN c.rule = 'geometry-invalid' THEN
                    ST_SetSRID(CASE WHEN $3 = 4326 THEN (ST_IsValidDetail(c.geom)).location ELSE ST_Transform((ST_IsValidDetail(c.geom)).location, 4326) END, 4326)
                END
            FROM checked c
            WHERE c.rule IS NOT NULL
            """;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var noJit = new NpgsqlCommand(NoJit, conn)) await noJit.ExecuteNonQueryAsync(ct);
        await using (var cmd = new NpgsqlCommand(sql, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.Layer.Id });
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.Srid });
            AddColumnParameters(cmd, columns);
            await CopyIssuesAsync(cmd, ct);
        }

        if (job.Layer.UniqueColumn is { } unique)
        {
            var v = UniqueExpression(job.Layer, columns, $"${4 + 2 * columns.Count}::int");
            var existing = job.Layer.Append
                ? $" OR EXISTS (SELECT 1 FROM {job.Layer.Table} t WHERE t.city_id = d.city_id AND t.{unique} = d.v)"
                : "";
            await using var dup = new NpgsqlCommand($"""
                SELECT city_id, job_id, feature_index, 'duplicate',
                       CASE WHEN feature_index <> first THEN format('{unique} %L occurs more than once in the file (first at feature %s)', v, first)
                            ELSE format('{unique} %L already exists in layer %s of this city', v, $2::text) END,
                       NULL::geometry
                FROM (SELECT s.city_id, s.job_id, s.feature_index, {v} AS v,
                             min(s.feature_index) OVER (PARTITION BY {v}) AS first
                      FROM import_staging s
                      WHERE s.job_id = $1 AND NOT EXISTS (SELECT 1 FROM import_issues i WHERE i.job_id = s.job_id AND i.feature_index = s.feature_index)) d
                WHERE v IS NOT NULL AND (feature_index <> first{existing})
                """, conn);
            dup.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            dup.Parameters.Add(new NpgsqlParameter { Value = job.Layer.Id });
            dup.Parameters.Add(new NpgsqlParameter { Value = job.Srid });
            AddColumnParameters(dup, columns);
            dup.Parameters.Add(new NpgsqlParameter { Value = job.CityId });
            await CopyIssuesAsync(dup, ct);
        }

        await using var mark = new NpgsqlCommand("""
            WITH bad AS (SELECT DISTINCT feature_index FROM import_issues WHERE job_id = $1)
            UPDATE import_staging s SET invalid = true FROM bad WHERE s.job_id = $1 AND s.feature_index = bad.feature_index
            """, conn);
        mark.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
        return await mark.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Runs a query that yields issue rows (city_id, job_id, feature_index, rule, reason, location) and copies them into
    /// import_issues through a second connection as they arrive. PostgreSQL plans an INSERT … SELECT serially; a plain
    /// SELECT may scan the million staged rows with parallel workers (both cores on this machine), and the rows come
    /// back one at a time, so memory stays bounded however many features are bad.
    /// </summary>
    private async Task CopyIssuesAsync(NpgsqlCommand query, CancellationToken ct)
    {
        query.CommandTimeout = 0;
        await using var sink = await db.OpenConnectionAsync(ct);
        await using var copy = await sink.BeginBinaryImportAsync(
            "COPY import_issues (city_id, job_id, feature_index, rule, reason, location) FROM STDIN (FORMAT BINARY)", ct);
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(reader.GetInt32(0), NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(reader.GetGuid(1), NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(reader.GetInt64(2), NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(reader.GetString(3), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(reader.GetString(4), NpgsqlDbType.Text, ct);
                if (await reader.IsDBNullAsync(5, ct)) await copy.WriteNullAsync(ct);
                else await copy.WriteAsync(reader.GetFieldValue<NetTopologySuite.Geometries.Geometry>(5), NpgsqlDbType.Geometry, ct);
            }
        }
        await copy.CompleteAsync(ct);
    }

    /// <summary>Set on the connections that validate and publish. Their statements cover every staged row, so the
    /// planner's estimates pass the JIT thresholds and LLVM spent 1-3 s per statement compiling expressions that run
    /// once per row (measured on 1M parcels); the pooled connection is reset when it is returned.</summary>
    private const string NoJit = "SET jit = off";

    /// <summary>A catalogue constant as an SQL string literal (never a request's value: those are parameters).</summary>
    private static string Literal(string constant) => "'" + constant.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Adds to the validation CASE, after the columns' own rules: a lookup whose code names no row of its table
    /// in the city (<c>unknown-{column}</c>), then the layer's rules between columns, each a rule and its reason.</summary>
    private static void AppendLookupsAndRules(ImportLayer layer, IReadOnlyList<ResolvedColumn> columns, StringBuilder rules, StringBuilder reasons)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Column.Lookup is not { } lookup) continue;
            var v = Value(4 + 2 * i, 5 + 2 * i);
            rules.Append($"\n            WHEN {v} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {lookup.Table} t WHERE t.city_id = s.city_id AND t.{lookup.Key} = {v}) THEN 'unknown-{lookup.Option}'");
            reasons.Append($"\n        WHEN 'unknown-{lookup.Option}' THEN format('{lookup.Option} %L is not among the {lookup.Table} of this city (import or create it first)', {v.Replace("s.properties", "c.properties", StringComparison.Ordinal)})");
        }
        foreach (var rule in layer.Rules)
        {
            var broken = rule.Broken;
            for (var i = 0; i < columns.Count; i++)
                broken = broken.Replace("{" + columns[i].Column.Column + "}", Value(4 + 2 * i, 5 + 2 * i), StringComparison.Ordinal);
            rules.Append($"\n            WHEN {broken} THEN '{rule.Name}'");
            reasons.Append($"\n        WHEN '{rule.Name}' THEN {Literal(rule.Reason)}");
        }
    }

    // The unique value of a feature as SQL: a column's value, or the property code built from its parts.
    // cityParameter: the SQL parameter holding the city id, so the city's code is read once (an InitPlan), not per row.
    private static string UniqueExpression(ImportLayer layer, IReadOnlyList<ResolvedColumn> columns, string cityParameter)
    {
        string Part(string column)
        {
            var i = columns.ToList().FindIndex(c => c.Column.Column == column);
            return Value(4 + 2 * i, 5 + 2 * i);
        }
        return layer.CodeFromParts
            ? $"((SELECT code FROM cities WHERE id = {cityParameter}) || '-' || {Part("district_code")} || '-' || {Part("block")} || '-' || {Part("parcel")})"
            : Part(layer.UniqueColumn!);
    }

    /// <summary>From this many parcels published, an import analyzes the partitioned registry at once.</summary>
    private const long AnalyzeAfter = 10_000;

    /// <summary>Publishes the valid staged features, or fails the job; returns how many it published (0: failed).</summary>
    private async Task<long> PublishAsync(PreparedImport job, IReadOnlyList<ResolvedColumn> columns, long read, long invalid,
        Dictionary<string, long> timings, CancellationToken ct)
    {
        if (read == 0) { await FailAsync(job.JobId, "The file holds no features."); return 0; }
        if (job.Request.Mode == "all-or-nothing" && invalid > 0)
        {
            await FailAsync(job.JobId, $"{invalid} of {read} features are invalid, so nothing was published (all-or-nothing). See the report; or import with mode=valid-only.");
            return 0;
        }
        if (invalid == read) { await FailAsync(job.JobId, $"All {read} features are invalid; nothing was published. See the report."); return 0; }

        var layer = job.Layer;
        // In lon/lat and 2D; lines and polygons as their Multi- form, points and mixed layers as they are.
        const string LonLat = "ST_Force2D(CASE WHEN $2 = 4326 THEN s.geom ELSE ST_Transform(s.geom, 4326) END)";
        var geometry = layer.Family is GeometryFamily.Point or GeometryFamily.Any ? LonLat : $"ST_Multi({LonLat})";
        var names = string.Join(", ", columns.Select(c => c.Column.Column));
        var values = string.Join(", ", columns.Select((c, i) =>
        {
            var v = Value(4 + 2 * i, 5 + 2 * i);
            if (c.Column.Fallback is { } fallback)
            {
                var f = columns.ToList().FindIndex(x => x.Column.Column == fallback);
                v = $"coalesce({v}, {Value(4 + 2 * f, 5 + 2 * f)})";
            }
            if (c.Column.Default is { } preset) v = $"coalesce({v}, {Literal(preset)})";
            if (c.Column.Lookup is { } lookup) return $"(SELECT t.id FROM {lookup.Table} t WHERE t.city_id = $1 AND t.{lookup.Key} = {v})";
            return c.Column.Type switch
            {
                ColumnType.Integer or ColumnType.NonNegativeInteger => $"({v})::numeric::bigint",
                ColumnType.Date => $"um_try_date({v})",
                ColumnType.Share or ColumnType.Money => $"({v})::numeric",
                _ => v,
            };
        }));
        var replaceIndex = layer.ReplaceBy is { } by ? columns.ToList().FindIndex(c => c.Column.Column == by) : -1;
        var delete = layer.Append ? null : replaceIndex < 0
            ? $"DELETE FROM {layer.Table} WHERE city_id = $1"
            : $"""
               DELETE FROM {layer.Table} t WHERE t.city_id = $1 AND t.{layer.ReplaceBy} IN (
                   SELECT DISTINCT ({Value(4 + 2 * replaceIndex, 5 + 2 * replaceIndex)})::numeric::bigint FROM import_staging s WHERE s.job_id = $3 AND NOT s.invalid)
               """;
        if (layer.CodeFromParts)
        {
            names += ", code";
            values += ", " + UniqueExpression(layer, columns, "$1");
        }
        var insert = $"""
            INSERT INTO {layer.Table} (city_id, {names}, attributes, geom)
            SELECT $1, {values}, s.properties, {geometry}
            FROM import_staging s
            WHERE s.job_id = $3 AND NOT s.invalid
            """; // staging is written in file order and scanned in it: no sort of a million geometries

        if (layer.Table == "properties" && delete is null && read - invalid >= OwnPartitionFrom
            && await PublishIntoOwnPartitionAsync(job, names, values, geometry, columns, read, timings, ct) is > 0 and var bulk)
            return bulk;

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await StartPublishAsync(conn, tx, job, ct);
        long published = 0;
        foreach (var sql in delete is null ? [insert] : new[] { delete, insert })
        {
            await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.Srid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
            AddColumnParameters(cmd, columns);
            published = await cmd.ExecuteNonQueryAsync(ct);
        }
        await FinishPublishAsync(conn, tx, job, published, ct);
        await tx.CommitAsync(ct);
        return published;
    }

    /// <summary>One round trip at the start of a publish transaction: no JIT, and the audit log names who asked for the
    /// import (else the database user) and the job, for each row and for a bulk publish's summary.</summary>
    private static async Task StartPublishAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PreparedImport job, CancellationToken ct)
    {
        await using var setup = new NpgsqlBatch(conn, tx);
        setup.BatchCommands.Add(new NpgsqlBatchCommand(NoJit));
        if (job.Request.RequestedBy is { } requestedBy) setup.BatchCommands.Add(AuditLog.ActorCommand(requestedBy));
        var jobName = new NpgsqlBatchCommand("SELECT set_config('urbanmonitor.import_job', $1, true)");
        jobName.Parameters.Add(new NpgsqlParameter { Value = job.JobId.ToString() });
        setup.BatchCommands.Add(jobName);
        await setup.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The end of a publish transaction: the layer's source and licence, and the job marked succeeded.</summary>
    private static async Task FinishPublishAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PreparedImport job, long published, CancellationToken ct)
    {
        await using (var src = new NpgsqlCommand(Loading.LayerTables.Embedded("upsert_layer_source.sql"), conn, tx))
        {
            src.Parameters.Add(new NpgsqlParameter { Value = job.CityId });
            src.Parameters.Add(new NpgsqlParameter { Value = job.Layer.Id });
            src.Parameters.Add(new NpgsqlParameter { Value = job.Request.Source ?? $"Imported from {job.Request.FileName ?? "an upload"} ({job.Source.Format}, EPSG:{job.Srid})" });
            src.Parameters.Add(new NpgsqlParameter { Value = job.Request.Licence ?? "not stated by the uploader" });
            src.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await src.ExecuteNonQueryAsync(ct);
        }
        await using var done = new NpgsqlCommand("""
            UPDATE import_jobs SET status = 'succeeded', phase = 'done', features_published = $2, finished_at = now()
            WHERE id = $1
            """, conn, tx);
        done.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
        done.Parameters.Add(new NpgsqlParameter { Value = published });
        await done.ExecuteNonQueryAsync(ct);
    }

    /// <summary>From this many valid parcels on, an import into a city with none yet loads a table of the city's own
    /// and attaches it as the city's partition of the registry (<see cref="PublishIntoOwnPartitionAsync"/>).</summary>
    public long OwnPartitionFrom { get; init; } = 50_000;

    /// <summary>How long the attach of a city's partitions waits for its locks each time, and how many times it tries
    /// (with as long a pause between tries). While it waits, the queries that need the same locks queue behind it, so
    /// each wait is short: a registration held up by an attach waiting for a long read waits half a second at most.</summary>
    public TimeSpan AttachLockWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc cref="AttachLockWait"/>
    public int AttachAttempts { get; init; } = 120;

    /// <summary>The two tables a bulk publish loads before they become the city's partitions: named by the job, so that
    /// a publish that failed or a process that died leaves names <see cref="DropLoadTablesAsync"/> can find.</summary>
    private static (string Parcels, string Versions) LoadTables(Guid jobId) =>
        ($"import_load_{jobId:N}_p", $"import_load_{jobId:N}_v");

    private async Task DropLoadTablesAsync(Guid jobId)
    {
        var (parcels, versions) = LoadTables(jobId);
        await using var drop = db.CreateCommand($"DROP TABLE IF EXISTS {parcels}, {versions}"); // names from a Guid
        await drop.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>
    /// The registry's big first load of a city: properties and property_versions are partitioned by city, and a city
    /// with no parcel and no partition of its own gets one. Its two tables are loaded outside the registry: two
    /// connections write half of the staged parcels each (with their generated Web Mercator geometry); then one writes
    /// version 1 of every parcel, as the parents' trigger writes it, while the other builds the parcels' indexes and
    /// keys, and both build the rest (GiST and B-tree over a million rows at once, several times cheaper than a million
    /// single inserts into them). Then one transaction, begun before the load so the versions carry its change-feed
    /// position but taking its locks only now, attaches both tables as the city's partitions (PostgreSQL checks the
    /// foreign keys set-wise and that no other partition holds the city), writes what the parents' statement triggers
    /// write for rows inserted through them (the audit log's bulk entries, the indicators' dirty districts, the tiles'
    /// changed extent), and marks the job succeeded. Nothing is visible before that commit; nothing else waits for the
    /// load, only for the attach.
    /// Returns the parcels published; or 0, having dropped its tables, when the city cannot take this path (it has
    /// parcels or a partition), or a parcel of the city was registered or another import gave it its partition
    /// meanwhile: the caller then publishes row by row.
    /// </summary>
    private async Task<long> PublishIntoOwnPartitionAsync(PreparedImport job, string names, string values, string geometry,
        IReadOnlyList<ResolvedColumn> columns, long read, Dictionary<string, long> timings, CancellationToken ct)
    {
        var (parcels, versions) = LoadTables(job.JobId);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Lap(string step) { timings[step] = clock.ElapsedMilliseconds; clock.Restart(); }
        string sequence;
        DateTime startedAt;
        await using (var peek = db.CreateCommand("""
            SELECT NOT EXISTS (SELECT 1 FROM properties WHERE city_id = $1) AND to_regclass(format('properties_city_%s', $1)) IS NULL
                   AND to_regclass(format('property_versions_city_%s', $1)) IS NULL,
                   pg_get_serial_sequence('properties', 'id'), now()
            """))
        {
            peek.Parameters.Add(new NpgsqlParameter { Value = job.CityId });
            await using var r = await peek.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            if (!r.GetBoolean(0)) return 0;
            sequence = r.GetString(1);
            startedAt = r.GetFieldValue<DateTime>(2);
        }
        // The transaction that will attach the tables begins now: the versions carry its change-feed position
        // (um_feed_position, 0145), and while it runs the feed holds back every change after it, so a reader polling
        // during the load cannot pass the city's versions before they become visible at its commit.
        // It sits idle while the others load: a server's idle-in-transaction timeout must not end it.
        await using var attach = await db.OpenConnectionAsync(ct);
        await using var tx = await attach.BeginTransactionAsync(ct);
        await using (var patient = new NpgsqlCommand("SET LOCAL idle_in_transaction_session_timeout = 0", attach, tx))
            await patient.ExecuteNonQueryAsync(ct);
        long feedPosition;
        await using (var position = new NpgsqlCommand("SELECT um_feed_position()", attach, tx))
            feedPosition = (long)(await position.ExecuteScalarAsync(ct))!;
        try
        {
            // The city as a CHECK constraint from the start: each row is checked as it is written, and the attach then
            // need not scan the tables to prove they hold only this city. Autovacuum stays off them while they load
            // (it would wake after a million inserts and take a lock the index builds wait for).
            await using (var create = db.CreateCommand($"""
                CREATE TABLE {parcels} (LIKE properties INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE,
                    CONSTRAINT {parcels}_city CHECK (city_id = {job.CityId})) WITH (autovacuum_enabled = false);
                CREATE TABLE {versions} (LIKE property_versions INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE,
                    CONSTRAINT {versions}_city CHECK (city_id = {job.CityId})) WITH (autovacuum_enabled = false);
                """))
                await create.ExecuteNonQueryAsync(ct);

            // The parcels first, both halves of the staged rows at once, each in its own transaction (the tables are
            // no one else's yet).
            var firstIndex = columns.Count * 2 + 4;
            var load = $"""
                INSERT INTO {parcels} (city_id, id, {names}, attributes, geom, created_at, updated_at)
                SELECT $1, nextval({Literal(sequence)}::regclass), {values}, s.properties, {geometry}, ${firstIndex + 2}, ${firstIndex + 2}
                FROM import_staging s
                WHERE s.job_id = $3 AND NOT s.invalid AND s.feature_index >= ${firstIndex} AND s.feature_index < ${firstIndex + 1}
                """;
            var half = (read + 1) / 2;
            var published = (await Task.WhenAll(new[] { (0L, half), (half, long.MaxValue) }.Select(async range =>
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                await using (var noJit = new NpgsqlCommand(NoJit, conn)) await noJit.ExecuteNonQueryAsync(ct);
                await using var cmd = new NpgsqlCommand(load, conn) { CommandTimeout = 0 };
                cmd.Parameters.Add(new NpgsqlParameter { Value = job.CityId });
                cmd.Parameters.Add(new NpgsqlParameter { Value = job.Srid });
                cmd.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
                AddColumnParameters(cmd, columns);
                cmd.Parameters.Add(new NpgsqlParameter { Value = range.Item1 });
                cmd.Parameters.Add(new NpgsqlParameter { Value = range.Item2 });
                cmd.Parameters.Add(new NpgsqlParameter { Value = startedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                return (long)await cmd.ExecuteNonQueryAsync(ct);
            }))).Sum();
            Lap("publishing.loadMs");

            // Then two connections share the rest: one writes version 1 of every parcel (as properties_first_version
            // writes it for rows inserted through the parent) while the other builds the parcels' indexes, the biggest
            // first; then both take what is left, the versions' indexes once the versions are written. The indexes are
            // the parents' own definitions, on the load tables. A primary key or unique constraint is built as its
            // index, then made the constraint (that step takes a lock a concurrent build would wait for).
            var builds = new List<(string Sql, bool OfVersions, string? Constraint, string Rename)>();
            await using (var list = db.CreateCommand("""
                SELECT i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.contype, i.indexrelid::regclass::text
                FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                WHERE i.indrelid IN ('properties'::regclass, 'property_versions'::regclass)
                ORDER BY i.indrelid::regclass::text,
                         (SELECT a.amname FROM pg_class x JOIN pg_am a ON a.oid = x.relam WHERE x.oid = i.indexrelid) = 'gist' DESC,
                         i.indnatts DESC, 2
                """))
            await using (var r = await list.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                {
                    var parent = r.GetString(0);
                    var table = parent == "properties" ? parcels : versions;
                    var name = $"{table}_{builds.Count}";
                    var definition = System.Text.RegularExpressions.Regex.Replace(r.GetString(1),
                        @"^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ ", $"CREATE $1INDEX {name} ON {table} ");
                    var constraint = r.IsDBNull(2) ? null : (char)r.GetValue(2) switch
                    {
                        'p' => $"ALTER TABLE {table} ADD CONSTRAINT {name}_key PRIMARY KEY USING INDEX {name}",
                        'u' => $"ALTER TABLE {table} ADD CONSTRAINT {name}_key UNIQUE USING INDEX {name}",
                        _ => null,
                    };
                    // Its name once attached: the parent's index name on the city's partition (properties_pkey: properties_city_7_pkey).
                    var rename = $"ALTER INDEX {(constraint is null ? name : name + "_key")} RENAME TO {parent}_city_{job.CityId}{r.GetString(3)[parent.Length..]}";
                    builds.Add((definition, table == versions, constraint, rename));
                }
            var firstVersions = $"""
                INSERT INTO {versions} (city_id, property_id, version, valid_from, status, code, district_code, block, parcel,
                                        attributes, geom, changed_by, reason, sources, feed_position)
                SELECT city_id, id, version, created_at, status, code, district_code, block, parcel,
                       attributes, geom, surveyed_by, 'created', sources, {feedPosition}
                FROM {parcels}
                """;
            var versionsWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var queue = new System.Collections.Concurrent.ConcurrentQueue<(string Sql, bool OfVersions)>(
                builds.Select(b => (b.Sql, b.OfVersions)));
            string? districts = null;
            NetTopologySuite.Geometries.Geometry? extent = null;
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async worker =>
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                await using (var setup = new NpgsqlCommand("SET maintenance_work_mem = '256MB'; SET max_parallel_maintenance_workers = 0; " + NoJit, conn))
                    await setup.ExecuteNonQueryAsync(ct);
                if (worker == 1)
                {
                    try
                    {
                        await using (var write = new NpgsqlCommand(firstVersions, conn) { CommandTimeout = 0 })
                            await write.ExecuteNonQueryAsync(ct);
                        versionsWritten.SetResult();
                    }
                    catch (Exception e)
                    {
                        versionsWritten.SetException(e);
                        throw;
                    }
                    // What the triggers' work needs: the districts and the extent of the load.
                    await using var facts = new NpgsqlCommand($"""
                        SELECT (SELECT jsonb_agg(DISTINCT district_code)::text FROM {parcels}),
                               (SELECT ST_Extent(geom)::geometry FROM {parcels})
                        """, conn) { CommandTimeout = 0 };
                    await using var r = await facts.ExecuteReaderAsync(ct);
                    await r.ReadAsync(ct);
                    districts = r.GetString(0);
                    extent = r.GetFieldValue<NetTopologySuite.Geometries.Geometry>(1);
                }
                while (queue.TryDequeue(out var build))
                {
                    if (build.OfVersions) await versionsWritten.Task;
                    await using var command = new NpgsqlCommand(build.Sql, conn) { CommandTimeout = 0 };
                    await command.ExecuteNonQueryAsync(ct);
                }
            }));
            await using (var keys = db.CreateCommand(string.Join(";\n", builds.Where(b => b.Constraint is not null).Select(b => b.Constraint))))
                await keys.ExecuteNonQueryAsync(ct);
            Lap("publishing.indexesMs");

            // Attaching locks the shared partitions for a moment, after the queries reading them end; a query that
            // reads them for long (a big export) would hold up every other city's registrations behind the attach. So
            // the attach waits for its locks a short while only, and tries again, several times, before it gives up:
            // each try in a savepoint of the one transaction, whose position the versions carry. Each try first takes the
            // change feed's publish lock (um_feed_publish_lock, 0145), held through the commit, so that no feed reader
            // plans its read without the new partitions and reads past their position.
            await StartPublishAsync(attach, tx, job, ct);
            for (var attempt = 1; ; attempt++)
            {
                await tx.SaveAsync("attach", ct);
                try
                {
                    await using var cmd = new NpgsqlCommand($"""
                        SET LOCAL lock_timeout = {(long)AttachLockWait.TotalMilliseconds};
                        SELECT um_feed_publish_lock();
                        ALTER TABLE properties ATTACH PARTITION {parcels} FOR VALUES IN ({job.CityId});
                        ALTER TABLE property_versions ATTACH PARTITION {versions} FOR VALUES IN ({job.CityId});
                        SET LOCAL lock_timeout = 0;
                        """, attach, tx) { CommandTimeout = 0 };
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
                {
                    await tx.RollbackAsync("attach", ct);
                    await tx.ReleaseAsync("attach", ct);
                    if (attempt >= AttachAttempts)
                        throw new InvalidOperationException(
                            $"The registry stayed busy: other queries held its tables through {AttachAttempts} tries to add the city's parcels; nothing was published. Run the import again.");
                    await Task.Delay(AttachLockWait, ct);
                    continue;
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.CheckViolation or PostgresErrorCodes.InvalidObjectDefinition)
                {
                    // A parcel of this city was registered while the tables loaded (it is in the shared partition: a check
                    // violation), or another import gave the city its partition first (an overlap).
                    await tx.RollbackAsync(ct);
                    return 0;
                }
                // What the parents' statement triggers write for rows inserted through them, which rows loaded into a
                // table that then becomes a partition never were: um_audit_rows' bulk entry for each table, the districts
                // indicators_mark_properties marks, the extent tiles_on_insert announces.
                await using (var effects = new NpgsqlBatch(attach, tx))
                {
                    void Add(string sql, params object[] values)
                    {
                        var command = new NpgsqlBatchCommand(sql);
                        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
                        effects.BatchCommands.Add(command);
                    }
                    const string Actor = "coalesce(nullif(current_setting('urbanmonitor.actor', true), ''), 'db:' || session_user)";
                    Add($"ALTER TABLE {parcels} DROP CONSTRAINT {parcels}_city, RESET (autovacuum_enabled)");
                    Add($"ALTER TABLE {versions} DROP CONSTRAINT {versions}_city, RESET (autovacuum_enabled)");
                    Add($"ALTER TABLE {parcels} RENAME TO properties_city_{job.CityId}");
                    Add($"ALTER TABLE {versions} RENAME TO property_versions_city_{job.CityId}");
                    foreach (var build in builds) Add(build.Rename);
                    Add($"SELECT um_audit_bulk((SELECT to_jsonb(r) FROM properties_city_{job.CityId} r LIMIT 1), {Actor}, 'bulk-insert', 'properties', $1)", published);
                    Add($"SELECT um_audit_bulk((SELECT to_jsonb(r) FROM property_versions_city_{job.CityId} r LIMIT 1), {Actor}, 'bulk-insert', 'property_versions', $1)", published);
                    Add("INSERT INTO indicator_dirty (city_id, district_code, layer) SELECT $1, d, 'properties' FROM jsonb_array_elements_text($2::text::jsonb) d",
                        job.CityId, districts!);
                    Add("SELECT um_announce('indicators_dirty', 'properties')");
                    Add("SELECT tiles_layer_changed('properties', NULL, ARRAY[$1::geometry], false)", extent!);
                    await effects.ExecuteNonQueryAsync(ct);
                }
                await FinishPublishAsync(attach, tx, job, published, ct);
                await tx.CommitAsync(ct);
                Lap("publishing.attachMs");
                return published;
            }
        }
        finally
        {
            // Rolled back unless committed, so the attach's locks on the tables are gone before they are dropped.
            await tx.DisposeAsync();
            await attach.DisposeAsync();
            await DropLoadTablesAsync(job.JobId); // after a commit, both are the city's partitions under other names
        }
    }

    private async Task SetPhaseAsync(Guid id, string phase, bool running = false, long? featuresRead = null, long? featuresInvalid = null)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE import_jobs SET phase = $2,
                status = CASE WHEN $3 THEN 'running' ELSE status END,
                started_at = CASE WHEN $3 THEN now() ELSE started_at END,
                features_read = coalesce($4, features_read),
                features_invalid = coalesce($5, features_invalid)
            WHERE id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = phase });
        cmd.Parameters.Add(new NpgsqlParameter { Value = running });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)featuresRead ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)featuresInvalid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task SaveTimingsAsync(Guid id, Dictionary<string, long> timings)
    {
        await using var cmd = db.CreateCommand("UPDATE import_jobs SET timings = $2 WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = System.Text.Json.JsonSerializer.Serialize(timings), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task FailAsync(Guid id, string error)
    {
        await using var cmd = db.CreateCommand(
            "UPDATE import_jobs SET status = 'failed', phase = 'done', error = $2, finished_at = now() WHERE id = $1 AND status <> 'succeeded'");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = error });
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task CleanStagingAsync(Guid id)
    {
        await using var cmd = db.CreateCommand("DELETE FROM import_staging WHERE job_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>Jobs left queued or running by a stopped process: marked failed, their staging rows and the tables a bulk
    /// publish was loading removed (and any load table whose job is not running). Returns the jobs marked failed.</summary>
    public async Task<int> FailInterruptedAsync(CancellationToken ct = default)
    {
        long failed;
        await using (var cmd = db.CreateCommand("""
            WITH gone AS (
                UPDATE import_jobs SET status = 'failed', phase = 'done', finished_at = now(),
                       error = 'The service stopped while this import ran; nothing was published. Upload the file again.'
                WHERE status IN ('queued', 'running') AND pg_try_advisory_xact_lock(hashtextextended(id::text, 0))
                RETURNING id),
            staged AS (DELETE FROM import_staging s USING gone WHERE s.job_id = gone.id)
            SELECT count(*) FROM gone
            """))
            failed = (long)(await cmd.ExecuteScalarAsync(ct))!;
        // Then the load tables of every job that is not queued or running: those just marked failed, and any whose own
        // clean-up failed or whose job row is gone. A running job in another process keeps its status, so its tables stay.
        var orphans = new List<Guid>();
        await using (var cmd = db.CreateCommand("""
            SELECT DISTINCT substr(c.relname, 13, 32)::uuid
            FROM pg_class c
            WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND c.relname ~ '^import_load_[0-9a-f]{32}_[pv]$'
              AND NOT EXISTS (SELECT 1 FROM import_jobs j
                              WHERE j.id = substr(c.relname, 13, 32)::uuid AND j.status IN ('queued', 'running'))
            """))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) orphans.Add(reader.GetGuid(0));
        foreach (var id in orphans) await DropLoadTablesAsync(id);
        return (int)failed;
    }
}
