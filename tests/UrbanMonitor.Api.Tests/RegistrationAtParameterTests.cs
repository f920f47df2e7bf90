using UrbanMonitor.Api.Registration;

namespace UrbanMonitor.Api.Tests;

/// <summary>The <c>?at=</c> parameter of CONTRACTS.md: RFC 3339, UTC without offset, a bare date is the end of that day.</summary>
public class RegistrationAtParameterTests
{
    [Theory]
    [InlineData("2026-03-20", "2026-03-20T23:59:59.9999990+00:00")]
    [InlineData("9999-12-31", "9999-12-31T23:59:59.9999990+00:00")]
    [InlineData("2026-03-20T10:00:00Z", "2026-03-20T10:00:00.0000000+00:00")]
    [InlineData("2026-03-20T10:00:00", "2026-03-20T10:00:00.0000000+00:00")]
    [InlineData("2026-03-20T14:30:00+04:30", "2026-03-20T10:00:00.0000000+00:00")]
    [InlineData("2026-03-20T14:30:00 04:30", "2026-03-20T10:00:00.0000000+00:00")]
    public void AtIsReadAsAnInstantInUtcAndABareDateAsTheEndOfThatDay(string text, string expected)
    {
        Assert.True(RegistrationApi.TryParseAt(text, out var at));
        Assert.Equal(expected, at!.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-01")]
    public void AnUnreadableAtIsRefused(string text) => Assert.False(RegistrationApi.TryParseAt(text, out _));

    [Fact]
    public void NoAtMeansNow()
    {
        Assert.True(RegistrationApi.TryParseAt(null, out var at));
        Assert.Null(at);
    }
}
