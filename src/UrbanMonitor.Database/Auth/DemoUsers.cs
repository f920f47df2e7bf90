using System.Text.Json;
using Npgsql;

namespace UrbanMonitor.Database.Auth;

/// <summary>The demo's users, one or more per role, created once; <c>./run.sh</c> writes them with fresh tokens to
/// <c>.urbanmonitor/demo-users.json</c>.</summary>
public static class DemoUsers
{
    private sealed record Demo(string Login, string Name, string[] Roles, string[] Districts, string[]? Councils = null);

    public static async Task<IReadOnlyList<(User User, string Token)>> EnsureAsync(NpgsqlDataSource db, TokenSettings settings, CancellationToken ct = default)
    {
        // Land officers for two districts of the first demo city that exists (Mazar-e-Sharif, else the synthetic city).
        await using var cmd = db.CreateCommand("""
            SELECT c.slug, array_agg(d.code ORDER BY length(d.code), d.code)
            FROM cities c JOIN districts d ON d.city_id = c.id
            WHERE c.slug IN ('mazar-e-sharif', 'synthetic')
            GROUP BY c.slug ORDER BY c.slug = 'mazar-e-sharif' DESC LIMIT 1
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw new InvalidOperationException("Load the demo cities first: no Mazar-e-Sharif or synthetic districts found.");
        var slug = r.GetString(0);
        var codes = r.GetFieldValue<string[]>(1);
        await r.CloseAsync();
        string D(int i) => $"{slug}:{codes[Math.Min(i, codes.Length - 1)]}";

        // The facilitator's councils: the first two of that city, when it has councils (the synthetic city does).
        var councils = new List<string>();
        await using (var k = db.CreateCommand("""
            SELECT c.slug || ':' || k.code FROM councils k JOIN cities c ON c.id = k.city_id WHERE c.slug = $1 ORDER BY k.code LIMIT 2
            """))
        {
            k.Parameters.Add(new NpgsqlParameter { Value = slug });
            await using var kr = await k.ExecuteReaderAsync(ct);
            while (await kr.ReadAsync(ct)) councils.Add(kr.GetString(0));
        }

        Demo[] demos =
        [
            new("admin", "Administrator", [Roles.Admin], ["*"]),
            new("farid.ahmadi", "Farid Ahmadi (فرید احمدی)", [Roles.LandOfficer], [D(0)]),
            new("mariam.karimi", "Mariam Karimi (مریم کریمی)", [Roles.LandOfficer], [D(1)]),
            new("nasir.rahimi", "Nasir Rahimi (ناصر رحیمی)", [Roles.Supervisor], [$"{slug}:{codes[0]}", D(1)]),
            new("lucia.planner", "Lúcia Planner", [Roles.Planner], ["*"]),
            new("gis.team", "GIS Team", [Roles.GisReader], ["*"]),
            new("zahra.facilitator", "Zahra Facilitator (زهرا)", [Roles.CommunityFacilitator], [D(0)], [.. councils]),
        ];
        var result = new List<(User, string)>();
        foreach (var demo in demos)
        {
            var user = (await Users.ListAsync(db, demo.Login, ct)).FirstOrDefault()
                       ?? await Users.AddAsync(db, demo.Login, demo.Name, demo.Roles, demo.Districts, ct, councils: demo.Councils);
            result.Add((user, Tokens.Issue(user, settings, TimeSpan.FromDays(90))));
        }
        return result;
    }

    /// <summary>The file format of CONTRACTS.md: <c>{"users":[{"name","login","role","roles","districts","token"}]}</c>.</summary>
    public static string ToJson(IReadOnlyList<(User User, string Token)> users) => JsonSerializer.Serialize(new
    {
        users = users.Select(u => new
        {
            name = u.User.Name,
            login = u.User.Login,
            role = u.User.Roles[0],
            roles = u.User.Roles,
            districts = u.User.Districts,
            councils = u.User.Councils,
            token = u.Token,
        }),
    }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
