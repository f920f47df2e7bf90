using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Documents and public display periods (same class and database as the transaction tests).</summary>
public partial class TransactionsTests
{
    /// <summary>A clock standing at a fixed instant, so a display period's end can be reached without waiting.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static ByteArrayContent Bytes(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    [Fact]
    public async Task AnUploadedDocumentComesBackByteIdenticalWithItsHashAndOversizedOrDisallowedFilesAreRefused()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "1001", "Owner", upTo: "surveyed");
        using var officer = service.Client(Officer);
        // A TIFF header and every byte value, so any transcoding would show.
        byte[] tiff = [.. "II*\0"u8, .. Enumerable.Range(0, 256).Select(i => (byte)i), .. RandomNumberGenerator.GetBytes(4000)];
        using var upload = await officer.PostAsync($"/api/documents?record=property:{id}&kind=survey-plan&name=../../plan%20one.tif", Bytes(tiff), Ct);
        var meta = await OkAsync(upload, HttpStatusCode.Created);
        var sha = Convert.ToHexStringLower(SHA256.HashData(tiff));
        Assert.Equal(sha, meta.GetProperty("sha256").GetString());
        Assert.Equal("image/tiff", meta.GetProperty("mediaType").GetString());
        Assert.Equal("plan one.tif", meta.GetProperty("fileName").GetString());
        Assert.Equal(sha, await service.Db.ScalarAsync<string>("SELECT encode(sha256(content), 'hex') FROM documents WHERE id = $1", meta.GetProperty("id").GetInt64()));

        using var back = await officer.GetAsync(upload.Headers.Location + "/content", Ct);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal(tiff, await back.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("image/tiff", back.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", back.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", back.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(sha, back.Headers.GetValues("X-Content-SHA256").Single());

        // The type comes from the bytes: HTML named .pdf and a Windows executable are refused; nothing is stored.
        var before = await service.Db.ScalarAsync<long>("SELECT count(*) FROM documents");
        await AssertProblemAsync(await officer.PostAsync($"/api/documents?record=property:{id}&name=deed.pdf", Bytes("<html><script>alert(1)</script>"u8.ToArray()), Ct), 415, "document-type-not-allowed");
        await AssertProblemAsync(await officer.PostAsync($"/api/documents?record=property:{id}&name=x.exe", Bytes([.. "MZ"u8, 0x90, 0, 3, 0]), Ct), 415, "document-type-not-allowed");
        await AssertProblemAsync(await officer.PostAsync($"/api/documents?record=property:999999999", Bytes(Pdf("x")), Ct), 404, "record-not-found");

        // The size limit is configurable; over it is 413.
        await using var small = service.Api.WithWebHostBuilder(b => b.UseSetting("Documents:MaxBytes", "2048"));
        using var limited = small.CreateClient().WithToken(Officer);
        await AssertProblemAsync(await limited.PostAsync($"/api/documents?record=property:{id}", Bytes(tiff), Ct), 413, "document-too-large");
        await OkAsync(await limited.PostAsync($"/api/documents?record=property:{id}", Bytes(Pdf("small enough")), Ct), HttpStatusCode.Created);
        Assert.Equal(before + 1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM documents"));
    }

    [Fact]
    public async Task ADisplayPeriodWithOneObjectionHoldsThatClaimBackAndRegistersTheOthersWhenItIsClosedAfterItsEnd()
    {
        service.Require();
        var spot = service.FreeSpot();
        var ids = new List<long>();
        foreach (var (east, i) in new[] { -16.0, -5, 6 }.Select((e, i) => (e, i)))
            ids.Add(await PropertyAsync(service, spot, "110" + i, "Claimant " + i, upTo: "verified", side: 10, east: east, north: -5));
        using var officer = service.Client(Officer);
        using var supervisor = service.Client(Supervisor);
        var area = JsonDocument.Parse(Square(spot, 40, -20, -20)).RootElement;

        var display = await OkAsync(await officer.PostAsync("/api/displays", Json(new { city = "mazar-e-sharif", area, days = 30 }), Ct), HttpStatusCode.Created);
        var displayId = display.GetProperty("id").GetInt64();
        Assert.Equal(3, display.GetProperty("claims").GetInt32());
        // The same claims cannot be put on a second display while the first is open.
        await AssertProblemAsync(await officer.PostAsync("/api/displays", Json(new { city = "mazar-e-sharif", area }), Ct), 422, "no-claims");

        // The public page and map: codes, geometry and claimants' names, never ID numbers or shares.
        var anonymous = service.Client();
        using var claims = await anonymous.GetAsync($"/api/displays/{displayId}/claims", Ct);
        var geojson = await claims.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, claims.StatusCode);
        var features = JsonDocument.Parse(geojson).RootElement.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(3, features.Length);
        Assert.Equal(["Claimant 0"], features[0].GetProperty("properties").GetProperty("claimants").EnumerateArray().Select(c => c.GetString()!));
        Assert.DoesNotContain("TZ-", geojson);
        Assert.DoesNotContain("share", geojson);
        var page = await anonymous.GetStringAsync($"/displays/{displayId}", Ct);
        Assert.Contains("Claimant 2", page);
        Assert.Contains("MZR-1-77-1101", page);
        Assert.DoesNotContain("TZ-", page);

        // One objection during the period.
        using var neighbour = service.Client(TestTokens.For("gis-reader"));
        var objection = await OkAsync(await neighbour.PostAsync($"/api/properties/{ids[1]}/disputes", Json(new { kind = "boundary", statement = "Takes 2 m of my yard." }), Ct), HttpStatusCode.Created);
        Assert.Equal(displayId, objection.GetProperty("display").GetInt64());

        // Closing: supervisors only, and not before the end date.
        await AssertProblemAsync(await officer.PostAsync($"/api/displays/{displayId}/close", null, Ct), 403, "forbidden-role");
        var early = await AssertProblemAsync(await supervisor.PostAsync($"/api/displays/{displayId}/close", null, Ct), 409, "display-not-ended");
        Assert.True(early.TryGetProperty("endsAt", out _));
        var endsAt = display.GetProperty("endsAt").GetDateTimeOffset();
        await using var later = service.Api.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new FixedClock(endsAt.AddMinutes(1)))));
        using var laterSupervisor = later.CreateClient().WithToken(Supervisor);
        var closed = await OkAsync(await laterSupervisor.PostAsync($"/api/displays/{displayId}/close", null, Ct));
        Assert.Equal("closed", closed.GetProperty("status").GetString());
        Assert.Equal(2, closed.GetProperty("registered").GetInt32());
        Assert.Equal(1, closed.GetProperty("held").GetInt32());
        await AssertProblemAsync(await laterSupervisor.PostAsync($"/api/displays/{displayId}/close", null, Ct), 409, "status-conflict");

        var statuses = new List<string>();
        foreach (var id in ids)
            statuses.Add((await OkAsync(await anonymous.GetAsync($"/api/properties/{id}", Ct))).GetProperty("properties").GetProperty("status").GetString()!);
        Assert.Equal(["registered", "verified", "registered"], statuses);
        var history = await OkAsync(await supervisor.GetAsync($"/api/properties/{ids[0]}/history", Ct));
        Assert.Equal($"registered: display period {displayId} ended unchallenged", history.GetProperty("versions").EnumerateArray().Last().GetProperty("reason").GetString());
        var outcomes = JsonDocument.Parse(await anonymous.GetStringAsync($"/api/displays/{displayId}/claims", Ct)).RootElement.GetProperty("features")
            .EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("outcome").GetString()!);
        Assert.Equal(["registered", "held", "registered"], outcomes);
    }

    [Fact]
    public async Task AClosedDisplayPeriodKeepsShowingItsClaimantsAndNeverTheNamesOfWhoeverBuysTheParcelLater()
    {
        service.Require();
        var spot = service.FreeSpot();
        var id = await PropertyAsync(service, spot, "1201", "Displayed Claimant", upTo: "verified");
        using var officer = service.Client(Officer);
        using var supervisor = service.Client(Supervisor);
        var area = JsonDocument.Parse(Square(spot, 40, -20, -20)).RootElement;
        var displayId = (await OkAsync(await officer.PostAsync("/api/displays", Json(new { city = "mazar-e-sharif", area, days = 1 }), Ct), HttpStatusCode.Created))
            .GetProperty("id").GetInt64();
        // The period has run (the database's clock, which the rights' times come from too), then the claim is registered.
        Assert.Equal(displayId, await service.Db.ScalarAsync<long>(
            "UPDATE display_periods SET starts_at = starts_at - interval '2 days', ends_at = now() - interval '1 second' WHERE id = $1 RETURNING id", displayId));
        await OkAsync(await supervisor.PostAsync($"/api/displays/{displayId}/close", null, Ct));

        // Later the registered owner sells: the buyer was never a claimant of that display and is not shown publicly.
        var deed = await DocumentAsync(service, $"property:{id}", Pdf("sale deed"));
        await ApplyAsync(id, new { kind = "sale", documentId = deed, open = new[] { new { party = new { kind = "person", name = "Later Buyer", idDocument = "TZ-1201B" }, share = 1 } } });
        Assert.Contains("Later Buyer", await RightsAsync(supervisor, id));

        var anonymous = service.Client();
        var geojson = await anonymous.GetStringAsync($"/api/displays/{displayId}/claims", Ct);
        var claimants = JsonDocument.Parse(geojson).RootElement.GetProperty("features")[0].GetProperty("properties").GetProperty("claimants");
        Assert.Equal(["Displayed Claimant"], claimants.EnumerateArray().Select(c => c.GetString()!));
        var page = await anonymous.GetStringAsync($"/displays/{displayId}", Ct);
        Assert.Contains("Displayed Claimant", page);
        Assert.DoesNotContain("Later Buyer", page);
        Assert.DoesNotContain("Later Buyer", geojson);
    }
    [Fact]
    public async Task ATransactionsReasonWhichSpeaksOfItsPartiesStaysWithStaffAndThePublicHistoryNamesOnlyTheTransaction()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "1202", "Nazanin Reasonmarker");
        var certificate = await DocumentAsync(service, $"property:{id}", Pdf("inheritance certificate"));
        var (transaction, _) = await ApplyAsync(id, new
        {
            kind = "inheritance", documentId = certificate, reason = "death of Nazanin Reasonmarker",
            open = new[] { new { share = 1m, party = new { name = "Heir Of Nazanin", idDocument = "H-1202" } } },
        });
        var named = $"inheritance (transaction {transaction.GetProperty("id").GetInt64()})";

        using var staff = service.Client(Supervisor);
        var full = (await OkAsync(await staff.GetAsync($"/api/properties/{id}/history", Ct))).GetProperty("versions").EnumerateArray().Last();
        Assert.Equal(named + ": death of Nazanin Reasonmarker", full.GetProperty("reason").GetString());
        foreach (var reader in new[] { service.Client(), service.Client(TestTokens.For("land-officer", "mazar-e-sharif:2")) })
        {
            using (reader)
            {
                var body = await reader.GetStringAsync($"/api/properties/{id}/history", Ct);
                Assert.DoesNotContain("Reasonmarker", body);
                Assert.Equal(named, JsonDocument.Parse(body).RootElement.GetProperty("versions").EnumerateArray().Last().GetProperty("reason").GetString());
            }
        }
    }
}
