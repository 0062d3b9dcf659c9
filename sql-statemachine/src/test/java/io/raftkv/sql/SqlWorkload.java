package io.raftkv.sql;

import io.raftkv.sim.Workload;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A bank over SQL for the simulator: accounts whose transfers (transactions that fail on short funds, by a CHECK
 * constraint) keep the total; deposits stamped with CURRENT_TIMESTAMP and random() ids; statements that fail
 * (no such table, syntax), statements the guard refuses, and bytes that are no command at all. Each command's
 * first statement starts with a comment naming its kind, for the tally.
 */
final class SqlWorkload implements Workload {
    private static final long BASE_TIME = 1_765_000_000_000L;
    private static final String SCHEMA = "CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, "
            + "balance INTEGER NOT NULL CHECK (balance >= 0), opened TEXT DEFAULT CURRENT_TIMESTAMP, tag BLOB)";
    private static final String LEDGER = "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, ref INTEGER, "
            + "amount INTEGER, at TEXT)";

    @Override
    public byte[] command(SplittableRandom r) {
        int kind = r.nextInt(100);
        if (kind < 2) {
            byte[] garbage = new byte[1 + r.nextInt(12)];
            r.nextBytes(garbage);
            return garbage;
        }
        List<SqlStatement> s = new ArrayList<>();
        boolean transaction = false;
        int a = 1 + r.nextInt(6);
        int b = 1 + r.nextInt(6);
        if (kind < 15) {
            s.add(SqlStatement.of("/*open*/ " + SCHEMA));
            s.add(SqlStatement.of(LEDGER));
            s.add(SqlStatement.of("INSERT OR IGNORE INTO acct(id, balance, tag) VALUES (?, ?, randomblob(4))",
                    SqlValue.of(a), SqlValue.of(100)));
        } else if (kind < 55) {
            transaction = true;
            int amount = 1 + r.nextInt(120);
            s.add(SqlStatement.of("/*transfer*/ UPDATE acct SET balance = balance - ? WHERE id = ?", SqlValue.of(amount), SqlValue.of(a)));
            s.add(SqlStatement.of("UPDATE acct SET balance = balance + ? WHERE id = ?", SqlValue.of(amount), SqlValue.of(b)));
            s.add(SqlStatement.named("INSERT INTO ledger(ref, amount, at) VALUES (abs(random()) % 1000, :amount, datetime('now'))",
                    java.util.Map.of("amount", SqlValue.of(amount))));
        } else if (kind < 75) {
            s.add(SqlStatement.of("/*deposit*/ UPDATE acct SET balance = balance + ?, tag = randomblob(8) WHERE id = ?",
                    SqlValue.of(r.nextInt(50)), SqlValue.of(a)));
            s.add(SqlStatement.of("INSERT INTO ledger(ref, amount, at) VALUES (last_insert_rowid(), ?, CURRENT_TIMESTAMP) RETURNING id",
                    SqlValue.of(r.nextInt(50))));
        } else if (kind < 85) {
            s.add(SqlStatement.of("/*close*/ DELETE FROM acct WHERE id = ? AND balance = 0", SqlValue.of(a)));
        } else if (kind < 92) {
            s.add(SqlStatement.of("/*broken*/ " + (r.nextBoolean() ? "INSERT INTO nosuch VALUES (1)" : "UPDAT acct SET x = 1")));
        } else {
            s.add(SqlStatement.of("/*refused*/ " + (r.nextBoolean() ? "PRAGMA foreign_keys = OFF" : "BEGIN")));
        }
        return SqlCodec.encodeCommand(new SqlCommand(s, transaction, BASE_TIME + r.nextInt(1_000_000), r.nextLong()));
    }

    @Override
    public byte[] query(SplittableRandom r) {
        String sql = switch (r.nextInt(3)) {
            case 0 -> "SELECT sum(balance), count(*) FROM acct";
            case 1 -> "SELECT id, balance, opened FROM acct WHERE id = " + (1 + r.nextInt(6));
            default -> "SELECT count(*) FROM ledger";
        };
        return SqlCodec.encodeQuery(new SqlQuery.Read(List.of(SqlStatement.of(sql))));
    }

    @Override
    public String commandKind(byte[] command, byte[] result) {
        SqlResult decoded = SqlCodec.decodeResult(result);
        if (decoded instanceof SqlResult.Invalid) {
            return "garbage: invalid";
        }
        String sql = SqlCodec.decodeCommand(command).statements().get(0).sql();
        String kind = sql.substring(2, sql.indexOf("*/"));
        for (SqlResult.StatementResult s : ((SqlResult.Results) decoded).results()) {
            if (s instanceof SqlResult.Error e) {
                String m = e.message();
                return kind + ": " + (m.length() > 40 ? m.substring(0, 40) : m);
            }
        }
        return kind + ": ok";
    }

    @Override
    public String queryKind(byte[] query, byte[] answer) {
        SqlResult r = SqlCodec.decodeResult(answer);
        if (r instanceof SqlResult.Results results && results.results().get(0) instanceof SqlResult.Error e) {
            return "error: " + e.message();
        }
        return "rows";
    }

    @Override
    public byte[] digestQuery() {
        return SqlCodec.encodeQuery(SqlQuery.Digest.INSTANCE);
    }

    @Override
    public int digestEvery() {
        return 10;
    }

    @Override
    public String describe(byte[] command) {
        try {
            String sql = SqlCodec.decodeCommand(command).statements().get(0).sql();
            return sql.substring(0, Math.min(sql.length(), 30));
        } catch (SqlCodecException e) {
            return command.length + " bytes of garbage";
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
