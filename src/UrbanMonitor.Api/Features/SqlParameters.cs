using Npgsql;

namespace UrbanMonitor.Api.Features;

/// <summary>Positional bind parameters of one built query: every value from a request goes here, never into SQL text.</summary>
public sealed class SqlParameters
{
    private readonly List<NpgsqlParameter> _list = [];

    /// <summary>Adds a value and returns its placeholder (<c>$n</c>).</summary>
    public string Add(object? value)
    {
        _list.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return "$" + _list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Adds a value with an explicit type (for nulls and text that PostgreSQL must cast).</summary>
    public string Add(object? value, NpgsqlTypes.NpgsqlDbType type)
    {
        _list.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });
        return "$" + _list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public IReadOnlyList<NpgsqlParameter> All => _list;
}
