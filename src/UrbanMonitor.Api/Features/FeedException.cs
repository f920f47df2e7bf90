namespace UrbanMonitor.Api.Features;

/// <summary>A request the feeds refuse, answered as RFC 9457 problem details (4xx, never 5xx).</summary>
public sealed class FeedException(int status, string type, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string Title { get; } = title;

    public static FeedException BadParameter(string detail) =>
        new(StatusCodes.Status400BadRequest, Hosting.Problems.InvalidParameter, "Invalid query parameter", detail);
}
