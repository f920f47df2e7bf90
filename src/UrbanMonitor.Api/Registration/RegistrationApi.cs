using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using UrbanMonitor.Database.Registration;
using NpgsqlTypes;
using UrbanMonitor.Api.Features;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Tiles;
using UrbanMonitor.Database.Audit;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Registration;

/// <summary>
/// <c>/api/properties</c>: registration of properties by land officers (geometry rules, parties and rights,
/// Idempotency-Key), reads with <c>?at=</c>, edits with <c>If-Match</c>, history, retiring, and the four-eyes
/// status workflow surveyed → verified → registered.
/// </summary>
public static class RegistrationApi
{
    internal const string GeoJson = "application/geo+json; charset=utf-8";
    private static readonly string FeatureSql = Sql.Load("Registration/feature.sql");
    private static readonly string HistorySql = Sql.Load("Registration/history.sql");
    private static readonly string LockSql = Sql.Load("Registration/lock.sql");
    private static readonly string CloseVersionSql = Sql.Load("Registration/close_version.sql");
    private static readonly string NewVersionSql = Sql.Load("Registration/new_version.sql");
    private static readonly string IdempotencyGetSql = Sql.Load("Registration/idempotency_get.sql");
    private static readonly string IdempotencyPutSql = Sql.Load("Registration/idempotency_put.sql");

    public static WebApplicationBuilder AddRegistration(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<RegistryStatisticsKeeper>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRegistrationApi(this IEndpointRouteBuilder app)
    {
        // OGC API - Features Part 4 on the properties collection: the same handlers, rules and permissions.
        var ogc = app.MapGroup("/collections/properties/items").WithTags("Registration");
        ogc.MapPost("/", async (HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        {
            if (ContentCrs(http.Request) is { } crsProblem) return crsProblem;
            var result = await Guard(() => Create(http, db, ct));
            if (http.Response.Headers.Location.ToString() is { } loc && loc.StartsWith("/api/properties/", StringComparison.Ordinal))
                http.Response.Headers.Location = "/collections/properties/items/" + loc["/api/properties/".Length..];
            return result;
        }).RequireAuthorization().WithName("OgcCreateProperty").WithSummary("OGC API - Features Part 4: register a property (as POST /api/properties)");
        ogc.MapPut("/{id:long}", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
                ContentCrs(http.Request) is { } crsProblem ? Task.FromResult(crsProblem) : Guard(() => Update(id, http, db, ct)))
            .RequireAuthorization().WithName("OgcReplaceProperty").WithSummary("OGC API - Features Part 4: replace a property (If-Match, reason in properties)");
        ogc.MapDelete("/{id:long}", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(() => Retire(id, http, db, ct)))
            .RequireAuthorization().WithName("OgcRetireProperty").WithSummary("OGC API - Features Part 4: delete = retire (If-Match)");

        var api = app.MapGroup("/api/properties").WithTags("Registration");
        PropertySearchApi.Map(api);
        api.MapPost("/", (HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(() => Create(http, db, ct))).RequireAuthorization().WithName("RegisterProperty")
            .WithSummary("Register a surveyed property (GeoJSON Feature; land officer of its district; Idempotency-Key honoured)")
            .Produces(StatusCodes.Status201Created, contentType: "application/geo+json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/{id:long}", Get).WithName("GetProperty")
            .WithSummary("One property as a GeoJSON Feature, as it is or as it was ?at= a time; parties only for staff")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:long}/history", History).WithName("GetPropertyHistory")
            .WithSummary("Every version of a property in order")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id:long}", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(() => Update(id, http, db, ct))).RequireAuthorization().WithName("UpdateProperty")
            .WithSummary("Replace a property's geometry and/or attributes with a reason (If-Match required)")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapDelete("/{id:long}", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(() => Retire(id, http, db, ct))).RequireAuthorization().WithName("RetireProperty")
            .WithSummary("Retire a property (a new version with status retired; nothing is deleted; If-Match required)")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired);
        api.MapPost("/{id:long}/verify", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
                Guard(() => Advance(id, "surveyed", "verified", http, db, ct))).RequireAuthorization().WithName("VerifyProperty")
            .WithSummary("surveyed → verified, by a supervisor other than the surveyor")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json").ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id:long}/register", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
                Guard(() => Advance(id, "verified", "registered", http, db, ct))).RequireAuthorization().WithName("RegisterVerifiedProperty")
            .WithSummary("verified → registered, by a supervisor other than the surveyor")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json").ProducesProblem(StatusCodes.Status409Conflict);
        PropertyLineageApi.Map(api);
        return app;
    }

    /// <summary>Input that PostgreSQL itself refuses (text it cannot store, coordinates out of range for geography, a
    /// code taken by a concurrent registration) is the client's problem: a 4xx, never a 500.</summary>
    internal static async Task<IResult> Guard(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return P.Problem(StatusCodes.Status409Conflict, P.CodeTaken, "Conflict", "A concurrent request registered the same thing: " + e.MessageText);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState == PostgresErrorCodes.InternalError)
        {
            return P.Unprocessable(P.InvalidProperty, "Invalid property", "PostgreSQL refused the input: " + e.MessageText);
        }
    }

    // ---- who may do what ----

    internal static string UserId(ClaimsPrincipal user) => user.FindFirstValue("sub") ?? "";

    internal static bool IsStaff(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && (user.IsInRole("land-officer") || user.IsInRole("supervisor") || user.IsInRole("admin"));

    /// <summary>The districts (<c>{slug}:{code}</c> or <c>*</c>) whose parties, ID documents and source documents the user
    /// may read: a staff member's own, as for every other registry record; null for everyone else.</summary>
    internal static string[]? PartiesScope(ClaimsPrincipal user) =>
        IsStaff(user) ? [.. user.FindAll("districts").Select(c => c.Value)] : null;

    /// <summary>The SQL parameter (<c>text[]</c>, null for no one) the registry's reads take the parties' scope in.</summary>
    internal static NpgsqlParameter PartiesScopeParameter(string[]? scope) =>
        new() { Value = (object?)scope ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    /// <summary>403 unless the user has one of <paramref name="roles"/> and is assigned to the district (the same check
    /// the CLI makes, <see cref="PropertyWrites.Forbidden"/>).</summary>
    internal static IResult? Forbidden(ClaimsPrincipal user, string[] roles, string slug, string district) =>
        PropertyWrites.Forbidden([.. roles.Where(user.IsInRole)], user.FindAll("districts").Select(c => c.Value), roles, slug, district) is { } p
            ? P.From(p) : null;

    internal static readonly string[] Writers = PropertyWrites.Writers;
    internal static readonly string[] Approvers = ["supervisor", "admin"];

    // ---- request reading ----

    internal static async Task<(JsonDocument? Doc, byte[] Bytes, IResult? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("application/geo+json" or "application/json"))
            return (null, [], P.Problem(StatusCodes.Status415UnsupportedMediaType, Problems.TypeFor(415), "Unsupported media type",
                "Send a GeoJSON Feature as application/geo+json or application/json."));
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        try
        {
            return (JsonDocument.Parse(bytes), bytes, null);
        }
        catch (JsonException e)
        {
            return (null, bytes, P.Problem(StatusCodes.Status400BadRequest, Problems.BadRequest, "Malformed JSON", e.Message));
        }
    }

    /// <summary>A body that cannot be read as a property: malformed positions are <c>invalid-geojson</c>, the rest <c>invalid-property</c>.</summary>
    internal static IResult ParseProblem(FormatException e) => P.From(RuleProblem.Unreadable(e));

    /// <summary>The request's CRS: <c>?crs=</c>, else a legacy GeoJSON <c>crs</c> member of the body or of its geometry
    /// (<c>{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32642"}}</c>), else EPSG:4326.</summary>
    internal static (int Srid, IResult? Problem) ReadCrs(HttpRequest request, JsonElement? body = null)
    {
        var text = request.Query["crs"].ToString();
        // GeoJSON 2008 puts the crs member on the top-level object, or on the geometry when the Feature has none.
        if (string.IsNullOrEmpty(text) && body is { ValueKind: JsonValueKind.Object } b
            && (b.TryGetProperty("crs", out var member) && member.ValueKind != JsonValueKind.Null
                || b.TryGetProperty("geometry", out var g) && g.ValueKind == JsonValueKind.Object && g.TryGetProperty("crs", out member) && member.ValueKind != JsonValueKind.Null))
        {
            text = member.ValueKind == JsonValueKind.Object && member.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
                   && p.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() ?? "" : "";
            if (text.Length == 0)
                return (0, P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidCrs, "Unsupported CRS",
                    "The body's crs member must be {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::<code>\"}}."));
        }
        if (string.IsNullOrEmpty(text)) return (4326, null);
        var crs = Crs.Parse(text);
        return crs is null
            ? (0, P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidCrs, "Unsupported CRS",
                $"crs '{text}' is not supported; use EPSG:4326, EPSG:3857 or a WGS 84 UTM zone (e.g. EPSG:32642)."))
            : (crs.Srid, null);
    }

    /// <summary>OGC API - Features Part 2: a Part 4 body names its CRS in the <c>Content-Crs</c> header (<c>&lt;uri&gt;</c>),
    /// which was ignored, so UTM coordinates were read as longitude/latitude. CRS84 (the default) is read as is, EPSG:3857
    /// and the UTM zones as <c>?crs=</c> would be; EPSG:4326 as a URI puts latitude first, which the registry does not
    /// take in writes (a 400 rather than a parcel read with its axes swapped), nor a CRS it does not know.</summary>
    internal static IResult? ContentCrs(HttpRequest request)
    {
        var header = request.Headers["Content-Crs"].ToString().Trim();
        if (header.Length == 0) return null;
        var crs = Crs.Parse(header.StartsWith('<') && header.EndsWith('>') ? header[1..^1] : header);
        if (crs is null)
            return P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidCrs, "Unsupported CRS",
                $"Content-Crs {header} is not supported; send CRS84 (longitude first, no Content-Crs), EPSG:3857 or a WGS 84 UTM zone (e.g. <http://www.opengis.net/def/crs/EPSG/0/32642>).");
        if (crs.LatLon)
            return P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidCrs, "Unsupported CRS",
                $"Content-Crs {header} puts latitude first, which writes do not take; send the coordinates in CRS84 (longitude first, no Content-Crs) or in a UTM zone.");
        if (crs.Srid == 4326) return null;
        var query = request.Query["crs"].ToString();
        if (query.Length == 0) request.QueryString = request.QueryString.Add("crs", "EPSG:" + crs.Srid.ToString(CultureInfo.InvariantCulture));
        else if (Crs.Parse(query)?.Srid != crs.Srid)
            return P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidCrs, "Conflicting CRS", $"Content-Crs {header} and ?crs={query} name different CRSs; send one.");
        return null;
    }

    /// <summary>Reads <c>?snap=</c>: metres (0 = off); <see cref="RegistrationRules.DefaultSnapM"/> when absent.</summary>
    internal static (double Metres, IResult? Problem) ReadSnap(HttpRequest request)
    {
        var text = request.Query["snap"].ToString();
        if (string.IsNullOrEmpty(text)) return (RegistrationRules.DefaultSnapM, null);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m >= 0 && m <= RegistrationRules.MaxSnapM
            ? (m, null)
            : (0, P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Invalid snap",
                $"snap must be a distance in metres from 0 (off) to {RegistrationRules.MaxSnapM}."));
    }

    internal static bool Repair(HttpRequest request) =>
        string.Equals(request.Query["repair"].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>?at=</c>: an RFC 3339 timestamp (UTC when it has no offset) or a bare date meaning the end of that day.</summary>
    public static bool TryParseAt(string? text, out DateTimeOffset? at)
    {
        at = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            // 9999-12-31 has no next day to count back from: its end is the last instant there is.
            at = day == DateOnly.MaxValue ? new DateTimeOffset(DateTime.MaxValue.AddTicks(-9), TimeSpan.Zero)
                : new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) - TimeSpan.FromTicks(10);
            return true;
        }
        // An unescaped '+' of an offset arrives as a space.
        text = text.Replace(' ', '+');
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            at = t.ToUniversalTime();
            return true;
        }
        return false;
    }

    /// <summary>Reads <c>If-Match: "v{n}"</c>; null version when the header is absent, -1 when unreadable.</summary>
    internal static int? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0) return null;
        if (header.StartsWith("W/", StringComparison.Ordinal)) header = header[2..];
        header = header.Trim('"');
        return header.StartsWith('v') && int.TryParse(header[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
    }

    internal static string ETag(int version) => "\"v" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    // ---- handlers ----

    internal static async Task<IResult> Create(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var user = http.User;
        if (!Writers.Any(user.IsInRole))
            return P.Problem(StatusCodes.Status403Forbidden, P.ForbiddenRole, "Role not allowed", "Registering properties needs the role land-officer or admin.");
        var (doc, bytes, bodyProblem) = await ReadBodyAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        using var _ = doc;
        PropertyInput input;
        try { input = PropertyInput.Parse(doc!.RootElement); }
        catch (FormatException e) { return ParseProblem(e); }
        if (input.CreationProblem() is { } why) return P.Unprocessable(P.InvalidProperty, "Invalid property", why);
        var (srid, crsProblem) = ReadCrs(http.Request, doc!.RootElement);
        if (crsProblem is not null) return crsProblem;
        if (input.CoordinateProblem(srid) is { } outOfRange) return P.Unprocessable(P.InvalidGeoJson, "Coordinates out of range", outOfRange);

        if (await PropertyWrites.CityAsync(db, input.City!, ct) is not var (cityId, cityCode))
            return P.Unprocessable(Problems.CityNotFound, "City not found", $"There is no city with the slug '{input.City}'.");
        if (Forbidden(user, Writers, input.City!, input.District!) is { } forbidden) return forbidden;

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        var hash = Convert.ToHexString(SHA256.HashData([.. bytes, .. System.Text.Encoding.UTF8.GetBytes(http.Request.QueryString.Value ?? "")]));

        var (snapM, snapProblem) = ReadSnap(http.Request);
        if (snapProblem is not null) return snapProblem;
        var (candidate, geometryProblem) = await RegistrationRules.NormalizeAsync(db, input.GeometryJson!, srid, Repair(http.Request), ct);
        if (geometryProblem is not null) return P.From(geometryProblem);

        var code = PropertyWrites.CodeOf(cityCode, input);
        await using var conn = await db.OpenConnectionAsync(ct);
        // Registrations whose parcels could overlap (or that share a code or an Idempotency-Key) run one after the other,
        // so two cannot both pass the overlap check; parcels far apart are registered side by side. Without a key the
        // lock, the rules and the insert are one round trip with the audit actor (WriteNewAsync); with one, the lock
        // comes first, so a retry waits for the first request and then replays its response.
        string[] names = key.Length > 0 ? [$"code:{code}", $"key:{UserId(user)}:{key}"] : [$"code:{code}"];
        await using var tx = key.Length > 0 ? await AuditActor.BeginAsync(conn, http.User, ct) : await conn.BeginTransactionAsync(ct);
        if (key.Length > 0)
        {
            await PropertyWrites.LockAreaAsync(conn, tx, cityId, candidate!.Ewkb, snapM, names, ct);
            await using var get = new NpgsqlCommand(IdempotencyGetSql, conn, tx);
            get.Parameters.Add(new NpgsqlParameter { Value = cityId });
            get.Parameters.Add(new NpgsqlParameter { Value = UserId(user), NpgsqlDbType = NpgsqlDbType.Text });
            get.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await get.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                if (reader.GetString(0) != hash)
                    return P.Unprocessable(P.IdempotencyKeyReused, "Idempotency-Key reused",
                        "This Idempotency-Key was already used for a different request; use a new key for a new parcel.");
                var status = reader.GetInt32(1);
                var body = reader.GetString(2);
                if (!reader.IsDBNull(3)) http.Response.Headers.Location = reader.GetString(3);
                if (!reader.IsDBNull(4)) http.Response.Headers.ETag = reader.GetString(4);
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Text(body, GeoJson, statusCode: status);
            }
        }

        // The new version and the tile change are announced after the commit, together with concurrent registrations'.
        var flusher = http.RequestServices.GetRequiredService<TileVersionFlusher>();
        var (registered, ruleProblem) = await PropertyWrites.WriteNewAsync(conn, tx, cityId, cityCode, input, candidate!, snapM, UserId(user), ct,
            names, key.Length > 0 ? [TileVersionFlusher.DeferCommand()] : [AuditLog.ActorCommand(AuditActor.Of(user)), TileVersionFlusher.DeferCommand()]);
        if (ruleProblem is not null) return P.From(ruleProblem);
        var (id, version) = (registered!.Id, registered.Version);

        var feature = WithRepair(await FeatureAsync(conn, tx, id, null, true, ct) ?? throw new InvalidOperationException("The new property cannot be read back."), registered.Repair, registered.Snap);
        var location = "/api/properties/" + id.ToString(CultureInfo.InvariantCulture);
        if (key.Length > 0)
        {
            await using var put = new NpgsqlCommand(IdempotencyPutSql, conn, tx);
            put.Parameters.Add(new NpgsqlParameter { Value = cityId });
            put.Parameters.Add(new NpgsqlParameter { Value = UserId(user), NpgsqlDbType = NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = hash, NpgsqlDbType = NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = StatusCodes.Status201Created });
            put.Parameters.Add(new NpgsqlParameter { Value = feature, NpgsqlDbType = NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = location, NpgsqlDbType = NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = ETag(version), NpgsqlDbType = NpgsqlDbType.Text });
            await put.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        await flusher.AnnounceAsync();
        http.Response.Headers.Location = location;
        http.Response.Headers.ETag = ETag(version);
        return Results.Text(feature, GeoJson, statusCode: StatusCodes.Status201Created);
    }

    internal static async Task<IResult> Get(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!TryParseAt(http.Request.Query["at"].ToString(), out var at))
            return P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Invalid at",
                "at must be an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z) or a date (2026-01-31, meaning the end of that day).");
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(FeatureSql, conn);
        AddFeatureParameters(cmd, id, at, PartiesScope(http.User));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return P.Problem(StatusCodes.Status404NotFound, P.PropertyNotFound, "Property not found",
                at is null ? $"There is no property {id}." : $"Property {id} did not exist at {at:O}.");
        var etag = ETag(reader.GetInt32(1));
        http.Response.Headers.ETag = etag;
        if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "W/" + etag)))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Text(reader.GetString(0), GeoJson);
    }

    internal static async Task<IResult> History(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(HistorySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(PartiesScopeParameter(PartiesScope(http.User)));
        return await cmd.ExecuteScalarAsync(ct) is string json
            ? Results.Text(json, "application/json; charset=utf-8")
            : P.Problem(StatusCodes.Status404NotFound, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
    }

    internal static async Task<IResult> Update(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var expected = IfMatch(http.Request);
        if (expected is null)
            return P.Problem(StatusCodes.Status428PreconditionRequired, P.PreconditionRequired, "If-Match required",
                "Send If-Match with the ETag of the version you edited (GET the property first), so no one else's change is lost.");
        var (doc, _, bodyProblem) = await ReadBodyAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        using var _ = doc;
        PropertyInput input;
        try { input = PropertyInput.Parse(doc!.RootElement); }
        catch (FormatException e) { return ParseProblem(e); }
        if (string.IsNullOrWhiteSpace(input.Reason))
            return P.Unprocessable(P.InvalidProperty, "Reason required", "An edit needs a 'reason' in the Feature's properties.");
        if (input.GeometryJson is null && input.AttributesJson is null && input.SourcesJson is null)
            return P.Unprocessable(P.InvalidProperty, "Nothing to change", "Send a geometry, attributes and/or sources.");
        var (srid, crsProblem) = ReadCrs(http.Request, doc!.RootElement);
        if (crsProblem is not null) return crsProblem;
        if (input.CoordinateProblem(srid) is { } outOfRange) return P.Unprocessable(P.InvalidGeoJson, "Coordinates out of range", outOfRange);
        var (snapM, snapProblem) = ReadSnap(http.Request);
        if (snapProblem is not null) return snapProblem;
        RegistrationRules.Candidate? candidate = null;
        if (input.GeometryJson is not null)
        {
            (candidate, var geometryProblem) = await RegistrationRules.NormalizeAsync(db, input.GeometryJson, srid, Repair(http.Request), ct);
            if (geometryProblem is not null) return P.From(geometryProblem);
        }
        return await ChangeAsync(id, http, db, expected, Writers, ct, async (conn, tx, row) =>
        {
            if (row.Status == "retired")
                return (null, P.Problem(StatusCodes.Status409Conflict, P.StatusConflict, "Retired", $"{row.Code} is retired; it cannot be edited."));
            Dictionary<string, object?>? snap = null;
            if (candidate is not null)
            {
                (candidate, snap) = await RegistrationRules.SnapAsync(conn, tx, candidate, row.CityId, id, snapM, ct);
                if (await RegistrationRules.CheckAsync(conn, tx, candidate, row.CityId, row.Slug, row.District, row.Code, id, ct) is { } ruleProblem)
                    return (null, P.From(ruleProblem));
            }
            return (new Change(candidate?.Ewkb, input.AttributesJson, null, input.Reason!, candidate?.Repair, snap, input.SourcesJson), null);
        });
    }

    internal static async Task<IResult> Retire(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var expected = IfMatch(http.Request);
        if (expected is null)
            return P.Problem(StatusCodes.Status428PreconditionRequired, P.PreconditionRequired, "If-Match required",
                "Send If-Match with the ETag of the version you are retiring.");
        var reason = http.Request.Query["reason"].ToString() is { Length: > 0 } r ? r : "retired";
        return await ChangeAsync(id, http, db, expected, Writers, ct, (_, _, row) => Task.FromResult<(Change?, IResult?)>(row.Status == "retired"
            ? (null, P.Problem(StatusCodes.Status409Conflict, P.StatusConflict, "Already retired", $"{row.Code} is already retired."))
            : (new Change(null, null, "retired", reason, null), null)));
    }

    internal static Task<IResult> Advance(long id, string from, string to, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        ChangeAsync(id, http, db, IfMatch(http.Request), Approvers, ct, async (conn, tx, row) =>
        {
            if (row.SurveyedBy is { Length: > 0 } surveyor && surveyor == UserId(http.User))
                return (null, P.Problem(StatusCodes.Status403Forbidden, P.FourEyes, "Four eyes",
                    $"You surveyed {row.Code}; another supervisor must mark it {to}."));
            if (row.Status != from)
                return (null, P.Problem(StatusCodes.Status409Conflict, P.StatusConflict, "Wrong status",
                    $"{row.Code} is {row.Status}; only a {from} property can become {to}."));
            // A disputed claim waits for the dispute's decision.
            if (await Disputes.DisputesApi.BlockingProblemAsync(conn, tx, id, row.Code, "marked " + to, ct) is { } disputed)
                return (null, disputed);
            return (new Change(null, null, to, to, null), null);
        });

    internal sealed record Row(int CityId, int Version, string Status, string District, string Code, string? SurveyedBy, string Slug);

    internal sealed record Change(byte[]? Ewkb, string? AttributesJson, string? Status, string Reason, Dictionary<string, object?>? Repair,
        Dictionary<string, object?>? Snap = null, string? SourcesJson = null);

    /// <summary>Locks the row, checks role, district and If-Match, lets <paramref name="decide"/> check the rules, then
    /// closes the current version and writes the next one, all in one transaction.</summary>
    internal static async Task<IResult> ChangeAsync(long id, HttpContext http, NpgsqlDataSource db, int? expected, string[] roles, CancellationToken ct,
        Func<NpgsqlConnection, NpgsqlTransaction, Row, Task<(Change? Change, IResult? Problem)>> decide)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        object? cityId;
        await using (var find = new NpgsqlCommand("SELECT city_id FROM properties WHERE id = $1", conn))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = id });
            cityId = await find.ExecuteScalarAsync(ct);
        }
        if (cityId is not int city)
            return P.Problem(StatusCodes.Status404NotFound, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        // The city lock first (the order registrations take), then the row.
        await LockCityAsync(conn, tx, city, ct);
        var row = await LockRowAsync(conn, tx, id, ct);
        if (row is null)
            return P.Problem(StatusCodes.Status404NotFound, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
        if (Forbidden(http.User, roles, row.Slug, row.District) is { } forbidden) return forbidden;
        if (expected is { } v && v != row.Version)
            return P.Problem(StatusCodes.Status412PreconditionFailed, P.PreconditionFailed, "Stale version",
                $"{row.Code} has changed: its current ETag is {ETag(row.Version)}. GET it again and reapply your edit.",
                new Dictionary<string, object?> { ["currentETag"] = ETag(row.Version) });
        var (change, problem) = await decide(conn, tx, row);
        if (problem is not null) return problem;

        var version = await WriteVersionAsync(conn, tx, row.CityId, id, change!, UserId(http.User), ct);
        var feature = WithRepair(await FeatureAsync(conn, tx, id, null, true, ct) ?? throw new InvalidOperationException("The property cannot be read back."), change!.Repair, change.Snap);
        await tx.CommitAsync(ct);
        http.Response.Headers.ETag = ETag(version);
        return Results.Text(feature, GeoJson);
    }

    /// <summary>Closes the current version of property <paramref name="id"/> and writes the next one (a null geometry,
    /// attributes, status or source documents in <paramref name="change"/> keep the current); returns its number.</summary>
    internal static async Task<int> WriteVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long id, Change change, string user, CancellationToken ct)
    {
        await using (var close = new NpgsqlCommand(CloseVersionSql, conn, tx))
        {
            close.Parameters.Add(new NpgsqlParameter { Value = cityId });
            close.Parameters.Add(new NpgsqlParameter { Value = id });
            await close.ExecuteNonQueryAsync(ct);
        }
        await using var next = new NpgsqlCommand(NewVersionSql, conn, tx);
        next.Parameters.Add(new NpgsqlParameter { Value = cityId });
        next.Parameters.Add(new NpgsqlParameter { Value = id });
        next.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Ewkb ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        next.Parameters.Add(new NpgsqlParameter { Value = (object?)change.AttributesJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        next.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        next.Parameters.Add(new NpgsqlParameter { Value = user, NpgsqlDbType = NpgsqlDbType.Text });
        next.Parameters.Add(new NpgsqlParameter { Value = change.Reason, NpgsqlDbType = NpgsqlDbType.Text });
        next.Parameters.Add(new NpgsqlParameter { Value = (object?)change.SourcesJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return (int)(await next.ExecuteScalarAsync(ct))!;
    }

    internal static async Task<Row?> LockRowAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(LockSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Row(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6));
    }

    internal static async Task LockCityAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(40604, $1)", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void AddFeatureParameters(NpgsqlCommand cmd, long id, DateTimeOffset? at, string[]? partiesScope)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)at ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(PartiesScopeParameter(partiesScope));
    }

    internal static async Task<string?> FeatureAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, DateTimeOffset? at, bool withParties, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(FeatureSql, conn, tx);
        // The writer of the change just checked (role and district) sees what they wrote.
        AddFeatureParameters(cmd, id, at, withParties ? ["*"] : null);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? reader.GetString(0) : null;
    }

    // A repaired or snapped geometry is reported beside the Feature (foreign members), so the officer sees what changed.
    private static string WithRepair(string feature, Dictionary<string, object?>? repair, Dictionary<string, object?>? snap = null)
    {
        if (repair is null && snap is null) return feature;
        var node = JsonNode.Parse(feature)!;
        if (repair is not null) node["repaired"] = JsonSerializer.SerializeToNode(repair);
        if (snap is not null) node["snap"] = JsonSerializer.SerializeToNode(snap);
        return node.ToJsonString();
    }
}
