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
        [CommandOption("--council <SLUG:CODE>")]
        [Description("A council a community facilitator may edit (e.g. synthetic:CDC-001); repeatable.")]
        public string[] Council { get; init; } = [];
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var user = await Users.AddAsync(db, settings.Login, settings.Name ?? settings.Login, settings.Role, settings.District, cancellationToken,
                councils: settings.Council);
            Console.WriteLine($"Added {user.Login} ({string.Join(", ", user.Roles)}; districts {string.Join(", ", user.Districts)}"
                + (user.Councils.Count > 0 ? $"; councils {string.Join(", ", user.Councils)}" : "") + ").");
            return 0;
        });
}

public sealed class UsersListCommand : AsyncCommand<DatabaseSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var table = new Table().AddColumns("login", "name", "roles", "districts", "disabled");
            foreach (var u in await Users.ListAsync(db, null, cancellationToken, includeDisabled: true))
                table.AddRow(Markup.Escape(u.Login), Markup.Escape(u.Name), string.Join(", ", u.Roles), Markup.Escape(string.Join(", ", u.Districts)), u.Disabled ? "yes" : "");
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

/// <summary><c>users update LOGIN</c>: change name, roles or districts (each given replaces the current list).</summary>
public sealed class UsersUpdateCommand : AsyncCommand<UsersUpdateCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<LOGIN>")] public string Login { get; init; } = "";
        [CommandOption("--name <NAME>")] public string? Name { get; init; }
        [CommandOption("--role <ROLE>")]
        [Description("The user's roles (replace the current ones); repeatable.")]
        public string[] Role { get; init; } = [];
        [CommandOption("--district <SLUG:CODE>")]
        [Description("The user's districts (replace the current ones), or * for all; repeatable.")]
        public string[] District { get; init; } = [];
        [CommandOption("--council <SLUG:CODE>")]
        [Description("The councils a community facilitator may edit (replace the current ones); repeatable. --no-councils removes them all.")]
        public string[] Council { get; init; } = [];
        [CommandOption("--no-councils")] public bool NoCouncils { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        UsersChange.RunAsync(settings, settings.Login, settings.Name, settings.Role.Length > 0 ? settings.Role : null,
            settings.District.Length > 0 ? settings.District : null, null, cancellationToken,
            settings.NoCouncils ? [] : settings.Council.Length > 0 ? settings.Council : null);
}

/// <summary><c>users disable LOGIN</c> / <c>users enable LOGIN</c>: a disabled user's tokens stop working at once.</summary>
public sealed class UsersDisableCommand : AsyncCommand<UsersDisableCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<LOGIN>")] public string Login { get; init; } = "";
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        UsersChange.RunAsync(settings, settings.Login, null, null, null, context.Name != "enable", cancellationToken);
}

internal static class UsersChange
{
    public static Task<int> RunAsync(DatabaseSettings settings, string login, string? name, string[]? roles, string[]? districts, bool? disabled, CancellationToken ct,
        string[]? councils = null) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var user = await Users.UpdateAsync(db, login, name, roles, districts, disabled, ct, councils: councils)
                       ?? throw new UserRejectedException($"There is no user '{login}'.");
            Console.WriteLine($"{user.Login}: {string.Join(", ", user.Roles)}; districts {string.Join(", ", user.Districts)}"
                + (user.Councils.Count > 0 ? $"; councils {string.Join(", ", user.Councils)}" : "") + $"{(user.Disabled ? "; disabled" : "")}.");
            return 0;
        });
}
