using Npgsql;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Tiles;

/// <summary>The district an offline package covers: names and extent (EPSG:4326 degrees), or the 404 problem to answer.</summary>
internal sealed record PackageDistrict(string CityName, string DistrictName, double West, double South, double East, double North)
{
    private static readonly string DistrictSql = Sql.Load("Tiles/package.sql");

    public static async Task<(PackageDistrict? District, IResult? Problem)> FindAsync(NpgsqlDataSource db, string slug, string code, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(DistrictSql);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slug });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return (null, Problems.CityMissing(slug));
        if (reader.IsDBNull(1))
            return (null, TypedResults.Problem(type: Problems.NotFound, title: "District not found", statusCode: StatusCodes.Status404NotFound,
                detail: $"The city '{slug}' has no district '{code}'."));
        return (new PackageDistrict(reader.GetString(0), reader.GetString(1),
            reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)), null);
    }
}
