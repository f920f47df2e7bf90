using Spectre.Console;

namespace UrbanMonitor.Cli;

/// <summary>Shows progress messages: a live status line on a terminal, plain lines in logs and CI.</summary>
public static class Progress
{
    public static async Task<T> RunAsync<T>(string title, Func<IProgress<string>, Task<T>> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return await work(new SyncProgress(message => Console.WriteLine("  " + message)));
        return await AnsiConsole.Status().StartAsync(title, ctx => work(new SyncProgress(message =>
        {
            ctx.Status(Markup.Escape(message));
            AnsiConsole.MarkupLineInterpolated($"  {message}");
        })));
    }

    // Progress<T> posts to the thread pool, so lines could arrive after the work ends; report synchronously instead.
    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
