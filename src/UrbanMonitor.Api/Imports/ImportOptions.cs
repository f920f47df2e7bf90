namespace UrbanMonitor.Api.Imports;

/// <summary>Upload limits and where uploads wait for their job (section <c>Imports</c>).</summary>
public sealed class ImportOptions
{
    /// <summary>Largest accepted upload in bytes (default 4 GiB); larger → 413.</summary>
    public long MaxUploadBytes { get; set; } = 4L << 30;

    /// <summary>Folder for uploads until their job ends (default: the system temp folder).</summary>
    public string? UploadFolder { get; set; }
}
