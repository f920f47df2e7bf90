using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Database.Registration;

namespace UrbanMonitor.Api.Registration;

/// <summary>Stable RFC 9457 problem types of registration.</summary>
public static class RegistrationProblems
{
    public const string InvalidGeoJson = Problems.Prefix + "invalid-geojson";
    public const string GeometryType = Problems.Prefix + "geometry-type";
    public const string InvalidGeometry = Problems.Prefix + "invalid-geometry";
    public const string OutsideDistrict = Problems.Prefix + "outside-district";
    public const string ImplausibleArea = Problems.Prefix + "implausible-area";
    public const string Overlap = Problems.Prefix + "overlap";
    public const string CodeTaken = Problems.Prefix + "code-taken";
    public const string DistrictNotFound = Problems.Prefix + "district-not-found";
    public const string InvalidProperty = Problems.Prefix + "invalid-property";
    public const string PropertyNotFound = Problems.Prefix + "property-not-found";
    public const string ForbiddenDistrict = Problems.Prefix + "forbidden-district";
    public const string ForbiddenRole = Problems.Prefix + "forbidden-role";
    public const string FourEyes = Problems.Prefix + "four-eyes";
    public const string StatusConflict = Problems.Prefix + "status-conflict";
    public const string PreconditionRequired = Problems.Prefix + "precondition-required";
    public const string PreconditionFailed = Problems.Prefix + "precondition-failed";
    public const string IdempotencyKeyReused = Problems.Prefix + "idempotency-key-reused";

    public static IResult Problem(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    public static IResult Unprocessable(string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Problem(StatusCodes.Status422UnprocessableEntity, type, title, detail, extensions);

    /// <summary>A refusal of the shared registration rules (<see cref="RuleProblem"/>) as the service's problem+json.</summary>
    public static IResult From(RuleProblem p) => Problem(p.Status, Problems.Prefix + p.Name, p.Title, p.Detail, p.Extensions);
}

