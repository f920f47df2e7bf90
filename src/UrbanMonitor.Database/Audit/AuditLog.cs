using Npgsql;

namespace UrbanMonitor.Database.Audit;

/// <summary>The append-only, hash-chained audit log (migration 0070): who wrote, sealing and verifying the chain.</summary>
public static class AuditLog
{
    /// <summary>A break in the chain: the sealed row where it shows and what is wrong.</summary>
    public sealed record Problem(long SealSeq, long AuditId, string Reason);

    /// <summary>The chain's head: how many rows are sealed, the last hash (hex), and rows still waiting for a seal.</summary>
    public sealed record Head(long Sealed, string? Hash, long Unsealed);

    /// <summary>Begins a write transaction whose changes the triggers log under <paramref name="actor"/>.</summary>
    public static async Task<NpgsqlTransaction> BeginAsync(NpgsqlConnection conn, string actor, CancellationToken ct)
    {
        var tx = await conn.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { ActorCommand(actor) } };
        await batch.ExecuteNonQueryAsync(ct);
        return tx;
    }

    /// <summary>The statement that names <paramref name="actor"/> as the writer for the rest of the transaction, for a
    /// caller that sends it in one batch with its first statements (see <see cref="BeginAsync"/>).</summary>
    public static NpgsqlBatchCommand ActorCommand(string actor)
    {
        var cmd = new NpgsqlBatchCommand("SELECT set_config('urbanmonitor.actor', $1, true)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = actor });
        return cmd;
    }

    /// <summary>Seals the committed rows not sealed yet (continuing the chain); returns how many.</summary>
    public static async Task<long> SealAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var cmd = db.CreateCommand("SELECT um_audit_seal(20000)");
            cmd.CommandTimeout = 0;
            var n = (long)(await cmd.ExecuteScalarAsync(ct))!;
            total += n;
            if (n < 20000) return total;
        }
    }

    /// <summary>Recomputes the whole chain; an empty list means intact.</summary>
    public static async Task<IReadOnlyList<Problem>> VerifyAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT seal_seq, audit_id, problem FROM um_audit_verify()");
        cmd.CommandTimeout = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var problems = new List<Problem>();
        while (await reader.ReadAsync(ct))
            problems.Add(new Problem(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
        return problems;
    }

    public static async Task<Head> HeadAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT (SELECT coalesce(max(seal_seq), 0) FROM audit_log),
                   (SELECT encode(hash, 'hex') FROM audit_log WHERE seal_seq IS NOT NULL ORDER BY seal_seq DESC LIMIT 1),
                   (SELECT count(*) FROM audit_log WHERE seal_seq IS NULL)
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Head(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2));
    }
}
