namespace UrbanMonitor.Api.Viewer;

/// <summary>Where the built viewer lives and what it is told at start (section <c>Viewer</c>).</summary>
public sealed class ViewerOptions
{
    /// <summary>Folder of the built viewer (<c>viewer/dist</c>: index.html, viewer.js, viewer.css). Default: the first
    /// <c>viewer/dist</c> found above the content root or the program's folder.</summary>
    public string? Folder { get; set; }

    /// <summary>Optional XYZ URL template of an external raster basemap (<c>https://…/{z}/{x}/{y}.png</c>); none by
    /// default, since no internet is assumed. The viewer then draws the service's own layers on a plain background.</summary>
    public string? BasemapUrl { get; set; }

    /// <summary>Attribution shown for the basemap.</summary>
    public string? BasemapAttribution { get; set; }

    /// <summary>The demo's <c>demo-users.json</c> (written by <c>./run.sh</c>). When set, the viewer offers these users
    /// (with their tokens) at sign-in: set it only for the demo, never in production.</summary>
    public string? DemoUsersFile { get; set; }
}
