using Spectre.Console;

namespace UrbanMonitor.Cli;

/// <summary>Shows progress messages: a live status line on a terminal, plain lines in logs and CI.</summary>
public static class Progress
{
    public static async Task<T> RunAsync<T>(string title, Func<IProgress<string>, Task<T>> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return await work(new SyncProgress<string>(message => Console.WriteLine("  " + message)));
        return await AnsiConsole.Status().StartAsync(title, ctx => work(new SyncProgress<string>(message =>
        {
            ctx.Status(Markup.Escape(message));
            AnsiConsole.MarkupLineInterpolated($"  {message}");
        })));
    }

}

/// <summary>Reports on the caller's thread: Progress&lt;T&gt; posts to the thread pool, so lines could arrive after the
/// work ends.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
