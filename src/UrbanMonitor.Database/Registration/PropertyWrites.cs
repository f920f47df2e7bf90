using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Database.Audit;
using UrbanMonitor.Database.Auth;

namespace UrbanMonitor.Database.Registration;

/// <summary>
/// Registering a new property, shared by the service (<c>POST /api/properties</c>, which adds HTTP's parts: the token,
/// Idempotency-Key, ETag) and the CLI (<c>urbanmonitor properties register</c>): the same permissions, the same
/// geometry rules (<see cref="RegistrationRules"/>), the same area locks and the same rows.
/// </summary>
public static class PropertyWrites
{
    private static readonly string CitySql = RegistrationRules.Embedded("city.sql");
    private static readonly string InsertSql = RegistrationRules.Embedded("insert.sql");
    private static readonly string RightSql = RegistrationRules.Embedded("right.sql");
    private static readonly string LockAreaSql = RegistrationRules.Embedded("lock_area.sql");
    private static readonly string RegisterSql = RegistrationRules.Embedded("register.sql");

    /// <summary>Roles that may register and edit properties.</summary>
    public static readonly string[] Writers = ["land-officer", "admin"];

    /// <summary>What a registration wrote: the property's id, its version, its code, and what a repair or a snap did (or null).</summary>
    public sealed record Registered(long Id, int Version, string Code, Dictionary<string, object?>? Repair, Dictionary<string, object?>? Snap);

    /// <summary>The city's id and code by slug, or null.</summary>
    public static async Task<(int Id, string Code)?> CityAsync(NpgsqlDataSource db, string slug, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(CitySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    /// <summary>Whether a user with these roles and district assignments may register in the district (403 otherwise).</summary>
    public static RuleProblem? Forbidden(IReadOnlyCollection<string> roles, IEnumerable<string> districts, string[] needed, string slug, string district)
    {
        if (!needed.Any(roles.Contains))
            return new RuleProblem(403, "forbidden-role", "Role not allowed", $"This needs the role {string.Join(" or ", needed)}.");
        if (!districts.Any(d => d == "*" || d == slug + ":" + district))
            return new RuleProblem(403, "forbidden-district", "District not assigned", $"You are not assigned to district {slug}:{district}.");
        return null;
    }

    /// <summary>
    /// In the caller's transaction, in one call to the database (<c>um_register_property</c>, migration 0122): locks
    /// the area around the candidate and <paramref name="lockNames"/> (its code when null; see <see cref="LockAreaAsync"/>),
    /// snaps the candidate to its neighbours, checks every rule, and writes the surveyed property (version 1), then its
    /// rights. <paramref name="first"/> are statements sent in the same round trip before it (the audit actor of a
    /// transaction begun without one, <see cref="AuditLog.ActorCommand"/>). A refusal writes nothing; the caller rolls back.
    /// </summary>
    public static async Task<(Registered? Registered, RuleProblem? Problem)> WriteNewAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, string cityCode, PropertyInput input, RegistrationRules.Candidate candidate,
        double snapM, string surveyor, CancellationToken ct, string[]? lockNames = null, IReadOnlyList<NpgsqlBatchCommand>? first = null)
    {
        var code = CodeOf(cityCode, input);
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var command in first ?? []) batch.BatchCommands.Add(command);
        var register = new NpgsqlBatchCommand(RegisterSql);
        register.Parameters.Add(new NpgsqlParameter { Value = cityId });
        register.Parameters.Add(new NpgsqlParameter { Value = code, NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = input.District!, NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = input.Block!, NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = input.Parcel!, NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = input.AttributesJson ?? "{}", NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = candidate.Ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        register.Parameters.Add(new NpgsqlParameter { Value = surveyor, NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = (object?)input.SourcesJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        register.Parameters.Add(new NpgsqlParameter { Value = snapM });
        register.Parameters.Add(new NpgsqlParameter { Value = RegistrationRules.OverlapToleranceM2 });
        register.Parameters.Add(new NpgsqlParameter { Value = RegistrationRules.MinAreaM2 });
        register.Parameters.Add(new NpgsqlParameter { Value = RegistrationRules.MaxAreaM2 });
        register.Parameters.Add(new NpgsqlParameter { Value = lockNames ?? [$"code:{code}"], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        batch.BatchCommands.Add(register);

        Dictionary<string, object?>? snap = null;
        long id;
        int version;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            for (var i = 0; i < (first?.Count ?? 0); i++) await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            if (reader.GetBoolean(0)) (candidate, snap) = RegistrationRules.ReadSnap(reader, 1, candidate, snapM);
            if (RegistrationRules.ReadCheck(reader, 7, input.City!, input.District!, code) is { } problem)
                return (null, problem);
            if (reader.IsDBNull(12))
                throw new InvalidOperationException($"um_register_property refused {code} on a rule the service accepts.");
            (id, version) = (reader.GetInt64(12), reader.GetInt32(13));
        }
        await AddRightsAsync(conn, tx, cityId, id, input.Rights, ct);
        return (new Registered(id, version, code, candidate.Repair, snap), null);
    }

    /// <summary>The property's human code: <c>{city code}-{district}-{block}-{parcel}</c>.</summary>
    public static string CodeOf(string cityCode, PropertyInput input) => $"{cityCode}-{input.District}-{input.Block}-{input.Parcel}";

    /// <summary>
    /// The whole registration of one parcel for a caller outside HTTP (the CLI), as <paramref name="user"/>: the input's
    /// own checks, the user's role and district, the geometry rules, then one audited transaction under the area lock.
    /// </summary>
    public static async Task<(Registered? Registered, RuleProblem? Problem)> RegisterAsync(
        NpgsqlDataSource db, PropertyInput input, int srid, bool repair, double snapM, User user, CancellationToken ct)
    {
        if (user.Disabled) return (null, new RuleProblem(403, "user-disabled", "User disabled", $"The user {user.Login} is disabled."));
        if (input.CreationProblem() is { } why) return (null, RuleProblem.Unprocessable("invalid-property", "Invalid property", why));
        if (input.CoordinateProblem(srid) is { } outOfRange) return (null, RuleProblem.Unprocessable("invalid-geojson", "Coordinates out of range", outOfRange));
        if (await CityAsync(db, input.City!, ct) is not var (cityId, cityCode))
            return (null, RuleProblem.Unprocessable("city-not-found", "City not found", $"There is no city with the slug '{input.City}'."));
        if (Forbidden([.. user.Roles], user.Districts, Writers, input.City!, input.District!) is { } forbidden) return (null, forbidden);
        var (candidate, geometryProblem) = await RegistrationRules.NormalizeAsync(db, input.GeometryJson!, srid, repair, ct);
        if (geometryProblem is not null) return (null, geometryProblem);

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditLog.BeginAsync(conn, user.Login, ct);
        var (registered, problem) = await WriteNewAsync(conn, tx, cityId, cityCode, input, candidate!, snapM, user.Id.ToString(), ct);
        if (problem is not null) return (null, problem);
        await tx.CommitAsync(ct);
        return (registered, null);
    }

    /// <summary>Inserts a new surveyed property (its version 1 comes from the insert trigger); returns its id and version.</summary>
    public static async Task<(long Id, int Version)> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, string code,
        string district, string block, string parcel, string attributesJson, byte[] ewkb, string user, CancellationToken ct, string? sourcesJson = null)
    {
        await using var insert = new NpgsqlCommand(InsertSql, conn, tx);
        insert.Parameters.Add(new NpgsqlParameter { Value = cityId });
        insert.Parameters.Add(new NpgsqlParameter { Value = code, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = district, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = block, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = parcel, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = attributesJson, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        insert.Parameters.Add(new NpgsqlParameter { Value = user, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)sourcesJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await insert.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt32(1));
    }

    /// <summary>Writes a new party and its right on property <paramref name="propertyId"/>, valid from now (the
    /// transaction's instant) until <paramref name="until"/> (a lease's end) or until closed.</summary>
    public static async Task AddRightAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long propertyId, RightInput right,
        DateTimeOffset? until, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { RightCommand(cityId, propertyId, right, until) } };
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The rights of a new registration (parties and rights, valid from now until closed), in one round trip.</summary>
    private static async Task AddRightsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long propertyId, IReadOnlyList<RightInput> rights,
        CancellationToken ct)
    {
        if (rights.Count == 0) return;
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var right in rights) batch.BatchCommands.Add(RightCommand(cityId, propertyId, right, null));
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlBatchCommand RightCommand(int cityId, long propertyId, RightInput right, DateTimeOffset? until)
    {
        var cmd = new NpgsqlBatchCommand(RightSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = right.PartyKind, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = right.PartyName, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)right.IdDocument ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = propertyId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = right.Kind, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = right.Share, NpgsqlDbType = NpgsqlDbType.Numeric });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)until ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return cmd;
    }

    /// <summary>Locks the grid cells the geometry's box touches (and the names) for this transaction; the city lock is
    /// taken shared, so whole-city writers still exclude it. See migration 0060.</summary>
    public static async Task LockAreaAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, byte[] ewkb, double snapM, string[] names, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(LockAreaSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        // Snapping may move vertices up to snapM; 1 m more for rounding and the survey tolerance.
        cmd.Parameters.Add(new NpgsqlParameter { Value = snapM + 1.0 });
        cmd.Parameters.Add(new NpgsqlParameter { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
