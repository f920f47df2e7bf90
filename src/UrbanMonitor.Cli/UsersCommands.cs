using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;
using UrbanMonitor.Database.Auth;

namespace UrbanMonitor.Cli;

/// <summary>The signing key and names the service checks tokens with, from the same variables the service reads.</summary>
internal static class AuthEnvironment
{
    public static TokenSettings Settings()
    {
        var key = Environment.GetEnvironmentVariable("URBANMONITOR_Auth__SigningKey");
        if (string.IsNullOrWhiteSpace(key))
            throw new UserRejectedException("No signing key: set URBANMONITOR_Auth__SigningKey to the service's key (base64, ≥ 32 bytes; ./run.sh keeps one in .urbanmonitor/jwt-key).");
        return TokenSettings.FromBase64(key, Environment.GetEnvironmentVariable("URBANMONITOR_Auth__Issuer"), Environment.GetEnvironmentVariable("URBANMONITOR_Auth__Audience"));
    }
}

public sealed class UsersAddCommand : AsyncCommand<UsersAddCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<LOGIN>")] public string Login { get; init; } = "";
        [CommandOption("--name <NAME>")] public string? Name { get; init; }
        [CommandOption("--role <ROLE>")]
        [Description("admin, land-officer, supervisor, planner, gis-reader, community-facilitator; repeatable.")]
        public string[] Role { get; init; } = [];
        [CommandOption("--district <SLUG:CODE>")]
        [Description("A district the user works in (e.g. mazar-e-sharif:1), or * for all; repeatable.")]
        public string[] District { get; init; } = [];
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var user = await Users.AddAsync(db, settings.Login, settings.Name ?? settings.Login, settings.Role, settings.District, cancellationToken);
            Console.WriteLine($"Added {user.Login} ({string.Join(", ", user.Roles)}; districts {string.Join(", ", user.Districts)}).");
            return 0;
        });
}

public sealed class UsersListCommand : AsyncCommand<DatabaseSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var table = new Table().AddColumns("login", "name", "roles", "districts");
            foreach (var u in await Users.ListAsync(db, null, cancellationToken))
                table.AddRow(Markup.Escape(u.Login), Markup.Escape(u.Name), string.Join(", ", u.Roles), Markup.Escape(string.Join(", ", u.Districts)));
            AnsiConsole.Write(table);
            return 0;
        });
}

public sealed class UsersTokenCommand : AsyncCommand<UsersTokenCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<LOGIN>")] public string Login { get; init; } = "";
        [CommandOption("--days <DAYS>")][DefaultValue(30)] public int Days { get; init; } = 30;
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var user = (await Users.ListAsync(db, settings.Login, cancellationToken)).FirstOrDefault()
                       ?? throw new UserRejectedException($"There is no user '{settings.Login}'.");
            Console.WriteLine(Tokens.Issue(user, AuthEnvironment.Settings(), TimeSpan.FromDays(settings.Days)));
            return 0;
        });
}

public sealed class UsersDemoCommand : AsyncCommand<UsersDemoCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandOption("--out <FILE>")]
        [Description("Where to write the demo users with their tokens (JSON).")]
        public string Out { get; init; } = ".urbanmonitor/demo-users.json";
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var users = await DemoUsers.EnsureAsync(db, AuthEnvironment.Settings(), cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Out))!);
            await File.WriteAllTextAsync(settings.Out, DemoUsers.ToJson(users), cancellationToken);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(settings.Out, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Console.WriteLine($"Wrote {users.Count} demo users with tokens to {settings.Out}.");
            return 0;
        });
}
