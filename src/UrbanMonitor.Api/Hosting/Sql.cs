namespace UrbanMonitor.Api.Hosting;

/// <summary>Reads the <c>.sql</c> files embedded next to the code that runs them.</summary>
internal static class Sql
{
    /// <summary>Loads an embedded SQL file by its path under the project, e.g. <c>Cities/cities.sql</c>.</summary>
    public static string Load(string path)
    {
        var name = "UrbanMonitor.Api." + path.Replace('/', '.');
        using var stream = typeof(Sql).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded SQL {path} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
