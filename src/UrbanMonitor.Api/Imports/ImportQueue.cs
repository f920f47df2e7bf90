using System.Threading.Channels;
using UrbanMonitor.Database.Imports;

namespace UrbanMonitor.Api.Imports;

/// <summary>Jobs waiting for the worker, with the upload file each owns.</summary>
public sealed class ImportQueue
{
    private readonly Channel<(PreparedImport Job, string File)> _channel = Channel.CreateUnbounded<(PreparedImport, string)>();

    public ValueTask EnqueueAsync(PreparedImport job, string file, CancellationToken ct) => _channel.Writer.WriteAsync((job, file), ct);

    public IAsyncEnumerable<(PreparedImport Job, string File)> ReadAllAsync(CancellationToken ct) => _channel.Reader.ReadAllAsync(ct);
}

/// <summary>Runs import jobs one at a time (each is I/O- and database-bound); at start-up, fails jobs a previous
/// process left unfinished.</summary>
internal sealed partial class ImportWorker(ImportQueue queue, ImportRunner runner, ILogger<ImportWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var swept = await runner.FailInterruptedAsync(stoppingToken);
            if (swept > 0) LogSwept(logger, swept);
        }
        catch (Npgsql.NpgsqlException e)
        {
            LogSweepFailed(logger, e.Message);
        }
        await foreach (var (job, file) in queue.ReadAllAsync(stoppingToken))
        {
            try
            {
                LogStart(logger, job.JobId, job.Layer.Id, job.Source.Format);
                await runner.RunAsync(job, null, stoppingToken);
                LogDone(logger, job.JobId);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marked {Count} interrupted import job(s) as failed")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not sweep interrupted import jobs: {Message}")]
    private static partial void LogSweepFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {JobId} of {Layer} ({Format}) started")]
    private static partial void LogStart(ILogger logger, Guid jobId, string layer, string format);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {JobId} ended")]
    private static partial void LogDone(ILogger logger, Guid jobId);
}
