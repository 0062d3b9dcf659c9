package io.raftkv.sql;

import java.util.List;

/** Test shorthands: build commands and queries, apply them, decode the answers. */
final class Sql {
    static final long TIME = 1_765_000_000_123L; // 2025-12-06T05:46:40.123Z
    static final long SEED = 42;

    private Sql() {
    }

    static SqlCommand command(boolean transaction, SqlStatement... statements) {
        return new SqlCommand(List.of(statements), transaction, TIME, SEED);
    }

    static SqlCommand command(String... sql) {
        return new SqlCommand(List.of(sql).stream().map(SqlStatement::of).toList(), false, TIME, SEED);
    }

    static SqlCommand transaction(String... sql) {
        return new SqlCommand(List.of(sql).stream().map(SqlStatement::of).toList(), true, TIME, SEED);
    }

    static List<SqlResult.StatementResult> apply(SqlStateMachine sm, SqlCommand command) {
        SqlResult r = SqlCodec.decodeResult(sm.apply(sm.lastAppliedIndex() + 1, SqlCodec.encodeCommand(command)));
        return ((SqlResult.Results) r).results();
    }

    static List<SqlResult.StatementResult> exec(SqlStateMachine sm, String... sql) {
        return apply(sm, command(sql));
    }

    static SqlResult.StatementResult read(SqlStateMachine sm, SqlStatement statement) {
        SqlResult r = SqlCodec.decodeResult(sm.query(SqlCodec.encodeQuery(new SqlQuery.Read(List.of(statement)))));
        return ((SqlResult.Results) r).results().get(0);
    }

    static SqlResult.Rows rows(SqlStateMachine sm, String sql) {
        SqlResult.StatementResult r = read(sm, SqlStatement.of(sql));
        if (r instanceof SqlResult.Rows rows) {
            return rows;
        }
        throw new AssertionError(sql + " -> " + r);
    }

    /** The single value of a one-row, one-column query. */
    static SqlValue value(SqlStateMachine sm, String sql) {
        SqlResult.Rows rows = rows(sm, sql);
        if (rows.values().size() != 1 || rows.values().get(0).size() != 1) {
            throw new AssertionError(sql + " -> " + rows);
        }
        return rows.values().get(0).get(0);
    }

    static SqlResult.StateDigest digest(SqlStateMachine sm) {
        return (SqlResult.StateDigest) sm.query(SqlQuery.Digest.INSTANCE);
    }
}
