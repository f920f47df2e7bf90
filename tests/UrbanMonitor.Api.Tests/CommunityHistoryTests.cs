using System.Globalization;
using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.CommunityHttp;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// History of councils and projects (issue 13): every change kept with when and (for staff) who, the reason of a
/// project's status move, and the record read as it was at a time (<c>?at=</c>), in cities of their own.
/// </summary>
public class CommunityHistoryTests(ImportService s) : IClassFixture<ImportService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Area = """{"type":"Polygon","coordinates":[[[67.0,36.7],[67.01,36.7],[67.01,36.71],[67.0,36.71],[67.0,36.7]]]}""";
    private const string Site = """{"type":"Point","coordinates":[67.005,36.705]}""";

    /// <summary>The database's clock now, as an <c>at</c> value.</summary>
    private async Task<string> NowAsync() =>
        (await s.Db.ScalarAsync<DateTime>("SELECT clock_timestamp()")).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);

    /// <summary>A new city with one council, created through the API; its id.</summary>
    private async Task<long> CityWithCouncilAsync(string slug, string code)
    {
        await s.CityAsync(slug);
        var council = await OkAsync(await s.Client.PostAsync($"/api/cities/{slug}/councils",
            Body($$"""{"code": "{{code}}", "name": "Council", "electedOn": "2026-01-10", "geometry": {{Area}}}"""), Ct), HttpStatusCode.Created);
        return council.GetProperty("id").GetInt64();
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Fact]
    public async Task ACouncilsChangesAreKeptWithWhenAndWhoAndItCanBeReadAsItWas()
    {
        const string slug = "cdc-history-city";
        await s.CityAsync(slug);
        var before = await NowAsync();
        var council = await OkAsync(await s.Client.PostAsync($"/api/cities/{slug}/councils",
            Body($$"""{"code": "CDC-H1", "name": "First name", "electedOn": "2026-01-10", "geometry": {{Area}}}"""), Ct), HttpStatusCode.Created);
        var id = council.GetProperty("id").GetInt64();
        await OkAsync(await s.Client.PostAsync($"/api/councils/{id}/members", Body("""{"name": "Fatima Private", "sex": "female", "role": "chair"}"""), Ct),
            HttpStatusCode.Created);
        var afterMember = await NowAsync();
        await OkAsync(await s.Client.PutAsync($"/api/councils/{id}", Body("""{"name": "Second name"}"""), Ct));

        var staff = await OkAsync(await s.Client.GetAsync($"/api/councils/{id}/history", Ct));
        var entries = staff.GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal(["insert", "update", "update"], entries.Select(e => e.GetProperty("action").GetString()!).ToArray());
        Assert.Equal([], Strings(entries[0].GetProperty("changed")));
        Assert.Equal(["composition", "members", "women"], Strings(entries[1].GetProperty("changed")));
        Assert.Equal("no-displaced", entries[1].GetProperty("state").GetProperty("composition").GetString());
        Assert.Equal(["name"], Strings(entries[2].GetProperty("changed")));
        Assert.Equal("Second name", entries[2].GetProperty("state").GetProperty("name").GetString());
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("changedBy").GetString())));

        using var anonymous = s.Api.CreateClient();
        var text = await anonymous.GetStringAsync($"/api/councils/{id}/history", Ct);
        Assert.DoesNotContain("Fatima", text);
        using (var doc = JsonDocument.Parse(text))
            Assert.All(doc.RootElement.GetProperty("entries").EnumerateArray(), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("changedBy").ValueKind));

        // As it was after the member joined and before the rename; before it existed it is not found.
        var then = await OkAsync(await anonymous.GetAsync($"/api/councils/{id}?at={afterMember}", Ct));
        Assert.Equal("First name", then.GetProperty("name").GetString());
        Assert.Equal(1, then.GetProperty("composition").GetProperty("women").GetInt32());
        Assert.Equal(["no-displaced"], Strings(then.GetProperty("composition").GetProperty("violations")));
        Assert.Equal("MultiPolygon", then.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal("Second name", (await OkAsync(await anonymous.GetAsync($"/api/councils/{id}", Ct))).GetProperty("name").GetString());
        using var missing = await anonymous.GetAsync($"/api/councils/{id}?at={before}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var bad = await anonymous.GetAsync($"/api/councils/{id}?at=yesterday", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AProjectsStatusMovesAndPaymentsAreKeptWithTheReasonAndItsPastMoneyCanBeRead()
    {
        const string slug = "prj-history-city";
        var council = await CityWithCouncilAsync(slug, "CDC-H2");
        var project = (await OkAsync(await s.Client.PostAsync($"/api/councils/{council}/projects", Body($$"""
            {"code": "PH-1", "name": "Drain", "type": "drainage", "executingParty": "third-party", "contractor": "Hidden Contractor Co",
             "contractAmount": 1000, "geometry": {{Site}}}
            """), Ct), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await OkAsync(await s.Client.PutAsync($"/api/projects/{project}", Body("""{"status": "completed"}"""), Ct));
        await OkAsync(await s.Client.PostAsync($"/api/projects/{project}/disbursements", Body("""{"amount": 400, "paidOn": "2026-04-01"}"""), Ct),
            HttpStatusCode.Created);
        var paid = await NowAsync();
        await OkAsync(await s.Client.PutAsync($"/api/projects/{project}", Body("""{"status": "in-progress", "reason": "the drain failed inspection"}"""), Ct));

        var history = await OkAsync(await s.Client.GetAsync($"/api/projects/{project}/history", Ct));
        var entries = history.GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal(["insert", "update", "update", "update"], entries.Select(e => e.GetProperty("action").GetString()!).ToArray());
        Assert.Equal(["status"], Strings(entries[1].GetProperty("changed")));
        Assert.Equal(["disbursed"], Strings(entries[2].GetProperty("changed")));
        Assert.Equal(["status", "status_reason"], Strings(entries[3].GetProperty("changed")));
        Assert.Equal("the drain failed inspection", entries[3].GetProperty("state").GetProperty("status_reason").GetString());
        Assert.Equal("Hidden Contractor Co", entries[0].GetProperty("state").GetProperty("contractor").GetString());

        using var anonymous = s.Api.CreateClient();
        var text = await anonymous.GetStringAsync($"/api/projects/{project}/history", Ct);
        Assert.DoesNotContain("Hidden Contractor", text);
        Assert.Contains("the drain failed inspection", text);

        var then = await OkAsync(await anonymous.GetAsync($"/api/projects/{project}?at={paid}", Ct));
        Assert.Equal("completed", then.GetProperty("status").GetString());
        Assert.Equal(400m, then.GetProperty("disbursed").GetDecimal());
        Assert.Equal(600m, then.GetProperty("remaining").GetDecimal());
        Assert.Equal(JsonValueKind.Null, then.GetProperty("contractor").ValueKind);
        Assert.Equal("Point", then.GetProperty("geometry").GetProperty("type").GetString());
        var staffThen = await OkAsync(await s.Client.GetAsync($"/api/projects/{project}?at={paid}", Ct));
        Assert.Equal("Hidden Contractor Co", staffThen.GetProperty("contractor").GetString());
        Assert.Equal("in-progress", (await OkAsync(await anonymous.GetAsync($"/api/projects/{project}", Ct))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task EachChangeKeepsTheReasonGivenWithItAndNoLaterChangeInheritsIt()
    {
        const string slug = "why-history-city";
        var council = await CityWithCouncilAsync(slug, "CDC-H4");
        await OkAsync(await s.Client.PutAsync($"/api/councils/{council}", Body("""{"households": 120, "reason": "recount after the 2026 survey"}"""), Ct));
        await OkAsync(await s.Client.PutAsync($"/api/councils/{council}", Body("""{"name": "Renamed"}"""), Ct));
        // A write that changes no field is still an entry of its own, with its reason.
        await OkAsync(await s.Client.PutAsync($"/api/councils/{council}", Body("""{"name": "Renamed", "reason": "checked, nothing new"}"""), Ct));
        var entries = (await OkAsync(await s.Client.GetAsync($"/api/councils/{council}/history", Ct))).GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal(4, entries.Length);
        Assert.Equal(JsonValueKind.Null, entries[0].GetProperty("reason").ValueKind);
        Assert.Equal(["households"], Strings(entries[1].GetProperty("changed")));
        Assert.Equal("recount after the 2026 survey", entries[1].GetProperty("reason").GetString());
        Assert.Equal(["name"], Strings(entries[2].GetProperty("changed")));
        Assert.Equal(JsonValueKind.Null, entries[2].GetProperty("reason").ValueKind);
        Assert.Equal([], Strings(entries[3].GetProperty("changed")));
        Assert.Equal("checked, nothing new", entries[3].GetProperty("reason").GetString());

        var project = (await OkAsync(await s.Client.PostAsync($"/api/councils/{council}/projects", Body($$"""
            {"code": "PW-1", "name": "Lane", "type": "roads", "executingParty": "council", "contractAmount": 500, "geometry": {{Site}}}
            """), Ct), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await OkAsync(await s.Client.PutAsync($"/api/projects/{project}", Body("""{"contractAmount": 650, "reason": "variation order 3: a longer lane"}"""), Ct));
        await OkAsync(await s.Client.PostAsync($"/api/projects/{project}/disbursements", Body("""{"amount": 100, "paidOn": "2026-05-01"}"""), Ct),
            HttpStatusCode.Created);
        using var anonymous = s.Api.CreateClient();
        var text = await anonymous.GetStringAsync($"/api/projects/{project}/history", Ct);
        using var doc = JsonDocument.Parse(text);
        var steps = doc.RootElement.GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal(["contract_amount"], Strings(steps[1].GetProperty("changed")));
        Assert.Equal("variation order 3: a longer lane", steps[1].GetProperty("reason").GetString());
        Assert.Equal(["disbursed"], Strings(steps[2].GetProperty("changed")));
        Assert.Equal(JsonValueKind.Null, steps[2].GetProperty("reason").ValueKind);
        Assert.DoesNotContain("change_reason", text);

        using var tooLong = await s.Client.PutAsync($"/api/projects/{project}", Body($$"""{"name": "Lane 2", "reason": "{{new string('x', 2001)}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Equal("application/problem+json", tooLong.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Lane", (await OkAsync(await s.Client.GetAsync($"/api/projects/{project}", Ct))).GetProperty("name").GetString());
    }

    [Fact]
    public async Task AProjectPublishedInABulkStatementStartsItsHistoryFromItsFirstState()
    {
        const string slug = "bulk-history-city";
        var council = await CityWithCouncilAsync(slug, "CDC-H3");
        // Over 5,000 rows in one statement: the audit log keeps one summary entry, none per row (0070).
        await s.Db.ScalarAsync<long>("""
            WITH i AS (INSERT INTO projects (city_id, code, council_id, name, type, contract_amount, geom)
                       SELECT c.city_id, 'BULK-' || n, c.id, 'Bulk ' || n, 'roads', 100, ST_SetSRID(ST_MakePoint(67.005, 36.705), 4326)
                       FROM councils c, generate_series(1, 5001) n WHERE c.id = $1 RETURNING 1)
            SELECT count(*) FROM i
            """, council);
        var project = await s.Db.ScalarAsync<long>("SELECT id FROM projects WHERE code = 'BULK-7' AND council_id = $1", council);

        var first = (await OkAsync(await s.Client.GetAsync($"/api/projects/{project}/history", Ct))).GetProperty("entries").EnumerateArray().ToArray();
        var only = Assert.Single(first);
        Assert.Equal("bulk-insert", only.GetProperty("action").GetString());
        Assert.Equal("planned", only.GetProperty("state").GetProperty("status").GetString());

        await OkAsync(await s.Client.PutAsync($"/api/projects/{project}", Body("""{"status": "contracted"}"""), Ct));
        var entries = (await OkAsync(await s.Client.GetAsync($"/api/projects/{project}/history", Ct))).GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal(["bulk-insert", "update"], entries.Select(e => e.GetProperty("action").GetString()!).ToArray());
        Assert.Equal("planned", entries[0].GetProperty("state").GetProperty("status").GetString());
        Assert.Equal("contracted", entries[1].GetProperty("state").GetProperty("status").GetString());
    }
}
