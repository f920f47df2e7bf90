using System.Text.RegularExpressions;
using Npgsql;
using UrbanMonitor.Domain.Text;

namespace UrbanMonitor.Database.Auth;

/// <summary>The roles of CONTRACTS.md.</summary>
public static class Roles
{
    public const string Admin = "admin", LandOfficer = "land-officer", Supervisor = "supervisor", Planner = "planner",
        GisReader = "gis-reader", CommunityFacilitator = "community-facilitator";

    public static readonly IReadOnlyList<string> All = [Admin, LandOfficer, Supervisor, Planner, GisReader, CommunityFacilitator];
}

/// <summary>A user with roles and districts (<c>{slug}:{code}</c>, or <c>*</c> for all), and for community facilitators
/// the councils they may edit (<c>{slug}:{council code}</c>).</summary>
public sealed record User(Guid Id, string Login, string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Districts, bool Disabled = false)
{
    public IReadOnlyList<string> Councils { get; init; } = [];
}

/// <summary>A request that names a thing that does not exist or breaks a rule (unknown role, district, login taken).</summary>
public sealed class UserRejectedException(string message) : Exception(message);

/// <summary>Users and their district assignments in the database.</summary>
public static partial class Users
{
    [GeneratedRegex("^[a-z0-9._@-]{2,64}$")]
    private static partial Regex LoginPattern();

    // The name travels in every token of the user and on certificates: text a reader can trust, of a name's length.
    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new UserRejectedException("A user needs a name.");
        if (TextRules.Problem("name", name, 300) is { } badName) throw new UserRejectedException(badName);
    }

    private static void CheckRoles(IReadOnlyList<string> roles)
    {
        if (roles.Count == 0) throw new UserRejectedException($"A user needs at least one role: {string.Join(", ", Auth.Roles.All)}.");
        var unknown = roles.Where(r => !Auth.Roles.All.Contains(r)).ToList();
        if (unknown.Count > 0)
            throw new UserRejectedException($"Unknown role(s) {string.Join(", ", unknown)}; roles are {string.Join(", ", Auth.Roles.All)}.");
    }

    /// <summary>Replaces the district assignments of user <paramref name="id"/> (inside the caller's transaction).</summary>
    private static Task AssignAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, IReadOnlyList<string> districts, CancellationToken ct) =>
        ReplaceAsync(conn, tx, id, "DELETE FROM user_districts WHERE user_id = $1", """
            INSERT INTO user_districts (user_id, city_id, district_code)
            SELECT $1, c.id, d.code FROM cities c JOIN districts d ON d.city_id = c.id
            WHERE c.slug = $2 AND d.code = $3
            """, districts.Where(d => d != "*"), "district", "{city-slug}:{district-code}, e.g. mazar-e-sharif:1, or *", ct);

    /// <summary>Replaces the council assignments of user <paramref name="id"/> (inside the caller's transaction).</summary>
    private static Task AssignCouncilsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, IReadOnlyList<string> councils, CancellationToken ct) =>
        ReplaceAsync(conn, tx, id, "DELETE FROM user_councils WHERE user_id = $1", """
            INSERT INTO user_councils (user_id, city_id, council_code)
            SELECT $1, c.id, k.code FROM cities c JOIN councils k ON k.city_id = c.id
            WHERE c.slug = $2 AND k.code = $3
            """, councils, "council", "{city-slug}:{council-code}, e.g. synthetic:CDC-001", ct);

    /// <summary>Deletes a user's assignments of one kind and inserts the given <c>{slug}:{code}</c> ones, each of which must exist.</summary>
    private static async Task ReplaceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, string deleteSql, string insertSql,
        IEnumerable<string> items, string what, string form, CancellationToken ct)
    {
        await using (var clear = new NpgsqlCommand(deleteSql, conn, tx))
        {
            clear.Parameters.Add(new NpgsqlParameter { Value = id });
            await clear.ExecuteNonQueryAsync(ct);
        }
        foreach (var item in items.Distinct())
        {
            var parts = item.Split(':', 2);
            if (parts.Length != 2) throw new UserRejectedException($"'{item}' is not a {what}: write {form}.");
            await using var assign = new NpgsqlCommand(insertSql, conn, tx);
            assign.Parameters.Add(new NpgsqlParameter { Value = id });
            assign.Parameters.Add(new NpgsqlParameter { Value = parts[0] });
            assign.Parameters.Add(new NpgsqlParameter { Value = parts[1] });
            if (await assign.ExecuteNonQueryAsync(ct) == 0) throw new UserRejectedException($"There is no {what} {item}.");
        }
    }

    public static async Task<User> AddAsync(NpgsqlDataSource db, string login, string name, IReadOnlyList<string> roles, IReadOnlyList<string> districts, CancellationToken ct = default, string? actor = null,
        IReadOnlyList<string>? councils = null)
    {
        if (!LoginPattern().IsMatch(login)) throw new UserRejectedException($"'{login}' is not a valid login: 2–64 of a-z 0-9 . _ @ -.");
        CheckName(name);
        CheckRoles(roles);
        var all = districts.Contains("*");

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await Audit.AuditLog.BeginAsync(conn, actor ?? "cli:" + Environment.UserName, ct);
        var id = Guid.NewGuid();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO users (id, login, name, roles, all_districts) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (login) DO NOTHING", conn, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = login });
            insert.Parameters.Add(new NpgsqlParameter { Value = name });
            insert.Parameters.Add(new NpgsqlParameter { Value = roles.Distinct().ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = all });
            if (await insert.ExecuteNonQueryAsync(ct) == 0) throw new UserRejectedException($"The login '{login}' is taken.");
        }
        await AssignAsync(conn, tx, id, districts, ct);
        if (councils is { Count: > 0 }) await AssignCouncilsAsync(conn, tx, id, councils, ct);
        await tx.CommitAsync(ct);
        return new User(id, login, name, roles.Distinct().ToArray(), all ? ["*"] : districts.Distinct().ToArray())
        {
            Councils = councils?.Distinct().ToArray() ?? [],
        };
    }

    /// <summary>Changes a user's name, roles, districts (replaced as a whole; <c>*</c> for all), councils (replaced as a
    /// whole) or disabled flag; a null keeps the current value. Null when there is no such login. A disabled user's tokens
    /// stop working at once.</summary>
    public static async Task<User?> UpdateAsync(NpgsqlDataSource db, string login, string? name, IReadOnlyList<string>? roles,
        IReadOnlyList<string>? districts, bool? disabled, CancellationToken ct = default, string? actor = null, IReadOnlyList<string>? councils = null)
    {
        if (name is not null) CheckName(name);
        if (roles is not null) CheckRoles(roles);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await Audit.AuditLog.BeginAsync(conn, actor ?? "cli:" + Environment.UserName, ct);
        // The enabled admins, locked: two admins demoting each other at once must not both succeed.
        var admins = new List<string>();
        await using (var lockAdmins = new NpgsqlCommand("SELECT login FROM users WHERE 'admin' = ANY (roles) AND NOT disabled ORDER BY id FOR UPDATE", conn, tx))
        await using (var r = await lockAdmins.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) admins.Add(r.GetString(0));
        Guid id;
        await using (var update = new NpgsqlCommand("""
            UPDATE users SET name = coalesce($2, name), roles = coalesce($3, roles),
                             all_districts = coalesce($4, all_districts), disabled = coalesce($5, disabled)
            WHERE login = $1 RETURNING id
            """, conn, tx))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = login });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)name ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)roles?.Distinct().ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)districts?.Contains("*") ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)disabled ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
            if (await update.ExecuteScalarAsync(ct) is not Guid found) return null;
            id = found;
        }
        if (admins.Contains(login) && (disabled == true || roles is not null && !roles.Contains(Auth.Roles.Admin)) && admins.Count == 1)
            throw new UserRejectedException($"'{login}' is the last enabled admin; make another user admin first, or nobody could manage users any more.");
        if (districts is not null) await AssignAsync(conn, tx, id, districts, ct);
        if (councils is not null) await AssignCouncilsAsync(conn, tx, id, councils, ct);
        await tx.CommitAsync(ct);
        return (await ListAsync(db, login, includeDisabled: true, ct: ct)).Single();
    }

    /// <summary>User <paramref name="id"/> as the database holds it now (disabled too), or null when there is none (e.g. a
    /// user of an external identity provider).</summary>
    public static async Task<User?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken ct = default) =>
        (await QueryAsync(db, null, id, true, ct)).FirstOrDefault();

    /// <summary>All users, or one by login; disabled users are left out unless <paramref name="includeDisabled"/>.</summary>
    public static Task<IReadOnlyList<User>> ListAsync(NpgsqlDataSource db, string? login = null, CancellationToken ct = default, bool includeDisabled = false) =>
        QueryAsync(db, login, null, includeDisabled, ct);

    private static async Task<IReadOnlyList<User>> QueryAsync(NpgsqlDataSource db, string? login, Guid? id, bool includeDisabled, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT u.id, u.login, u.name, u.roles,
                   CASE WHEN u.all_districts THEN ARRAY['*']
                        ELSE coalesce((SELECT array_agg(c.slug || ':' || ud.district_code ORDER BY c.slug, ud.district_code)
                                       FROM user_districts ud JOIN cities c ON c.id = ud.city_id WHERE ud.user_id = u.id), '{}') END,
                   u.disabled,
                   coalesce((SELECT array_agg(c.slug || ':' || uc.council_code ORDER BY c.slug, uc.council_code)
                             FROM user_councils uc JOIN cities c ON c.id = uc.city_id WHERE uc.user_id = u.id), '{}')
            FROM users u
            WHERE ($2 OR NOT u.disabled) AND ($1::text IS NULL OR u.login = $1) AND ($3::uuid IS NULL OR u.id = $3)
            ORDER BY u.login
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)login ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = includeDisabled });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<User>();
        while (await r.ReadAsync(ct))
            list.Add(new User(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetFieldValue<string[]>(3), r.GetFieldValue<string[]>(4), r.GetBoolean(5))
            {
                Councils = r.GetFieldValue<string[]>(6),
            });
        return list;
    }
}
