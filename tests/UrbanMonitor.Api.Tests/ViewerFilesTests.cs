using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>The viewer's static files at /viewer/ (Viewer/ViewerApi.cs), asked for by odd names.</summary>
public class ViewerFilesTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/viewer/viewer.js/")]
    [InlineData("/viewer/index.html/")]
    [InlineData("/viewer/no-such-folder/")]
    [InlineData("/viewer/viewer.js/x")]
    public async Task AFileNameUsedAsAFolderIsA404Problem(string url)
    {
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();
        using (var index = await client.GetAsync("/viewer/", Ct))
            Assert.True(index.StatusCode == HttpStatusCode.OK, "the viewer is built (test.sh builds it) and served at /viewer/");
        using var response = await client.GetAsync(url, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no file", body);
    }
}
