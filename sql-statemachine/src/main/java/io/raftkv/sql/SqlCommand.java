package io.raftkv.sql;

import java.util.List;

/**
 * A write: the bytes that go into the Raft log (encoded by {@link SqlCodec}). Every server applies it to the same
 * database and must reach the same result, so it carries everything SQLite would otherwise take from the server
 * it runs on: the time of {@code 'now'} and {@code CURRENT_TIMESTAMP}, and the seed of {@code random()} and
 * {@code randomblob()}. {@link LeaderStamp} chooses both once, before the command is proposed; see
 * {@link DeterministicFunctions}.
 *
 * @param statements  run in order; each gets its own result
 * @param transaction all statements in one transaction: the first error rolls back every statement of the command
 *                    (rqlite's {@code ?transaction}); otherwise a failing statement changes nothing and the rest
 *                    still run
 * @param timeMillis  the command's "now", milliseconds since the epoch (UTC)
 * @param randomSeed  seeds the command's {@code random()} / {@code randomblob()} sequence
 */
public record SqlCommand(List<SqlStatement> statements, boolean transaction, long timeMillis, long randomSeed) {
    public SqlCommand {
        statements = List.copyOf(statements);
    }
}
