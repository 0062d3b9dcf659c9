package io.raftkv.sql;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.raftkv.sql.Sql.apply;
import static io.raftkv.sql.Sql.exec;
import static io.raftkv.sql.Sql.rows;
import static io.raftkv.sql.Sql.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqlStateMachineTest {
    @TempDir
    Path dir;
    SqlStateMachine sm;

    @BeforeEach
    void open() throws Exception {
        sm = SqlStateMachine.open(dir.resolve("a"));
    }

    @AfterEach
    void close() {
        sm.close();
    }

    private static SqlResult.Changed changed(SqlResult.StatementResult r) {
        return assertInstanceOf(SqlResult.Changed.class, r, () -> "expected a change, got " + r);
    }

    private static String error(SqlResult.StatementResult r) {
        return assertInstanceOf(SqlResult.Error.class, r, () -> "expected an error, got " + r).message();
    }

    @Test
    void createInsertSelect() {
        List<SqlResult.StatementResult> r = exec(sm,
                "CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER)",
                "INSERT INTO foo(name, age) VALUES('fiona', 20)",
                "INSERT INTO foo(name, age) VALUES('sinead', 24), ('declan', 30)");
        assertEquals(new SqlResult.Changed(0, 0, null), r.get(0), "DDL changes no rows");
        assertEquals(new SqlResult.Changed(1, 1, null), r.get(1));
        assertEquals(new SqlResult.Changed(3, 2, null), r.get(2));
        SqlResult.Rows rows = rows(sm, "SELECT id, name, age, age * 1.5 AS more FROM foo ORDER BY id");
        assertEquals(List.of("id", "name", "age", "more"), rows.columns());
        assertEquals(List.of("integer", "text", "integer", "float"), rows.types());
        assertEquals(List.of(SqlValue.of(1), SqlValue.of("fiona"), SqlValue.of(20), SqlValue.of(30.0)), rows.values().get(0));
        assertEquals(3, rows.values().size());
        assertEquals(1, sm.lastAppliedIndex());
    }

    @Test
    void positionalAndNamedParameters() {
        exec(sm, "CREATE TABLE t (a, b)");
        List<SqlResult.StatementResult> r = Sql.apply(sm, Sql.command(false,
                SqlStatement.of("INSERT INTO t VALUES (?, ?)", SqlValue.of("x"), SqlValue.of(new byte[]{1, 2})),
                SqlStatement.of("INSERT INTO t VALUES (?2, ?1)", SqlValue.of(1.5), SqlValue.NULL),
                SqlStatement.named("INSERT INTO t VALUES (:a, @b)", Map.of("a", SqlValue.of(7), "b", SqlValue.of("y"))),
                SqlStatement.named("INSERT INTO t VALUES (:a, $a)", Map.of("a", SqlValue.of(8))),
                SqlStatement.of("INSERT INTO t VALUES (?, ?)", SqlValue.of(1)),
                SqlStatement.named("INSERT INTO t VALUES (:a, :b)", Map.of("a", SqlValue.of(1))),
                SqlStatement.named("INSERT INTO t VALUES (:a, 1)", Map.of("a", SqlValue.of(1), "zz", SqlValue.of(2)))));
        for (int i = 0; i < 4; i++) {
            changed(r.get(i));
        }
        assertEquals("the statement has 2 parameter(s) but 1 value(s) were given", error(r.get(4)));
        assertEquals("no value for parameter :b", error(r.get(5)));
        assertTrue(error(r.get(6)).contains(":zz"));
        SqlResult.Rows rows = rows(sm, "SELECT a, b, typeof(a), typeof(b) FROM t ORDER BY rowid");
        assertEquals(List.of(SqlValue.of("x"), SqlValue.of(new byte[]{1, 2}), SqlValue.of("text"), SqlValue.of("blob")),
                rows.values().get(0));
        assertEquals(List.of(SqlValue.NULL, SqlValue.of(1.5)), rows.values().get(1).subList(0, 2));
        assertEquals(List.of(SqlValue.of(7), SqlValue.of("y")), rows.values().get(2).subList(0, 2));
        assertEquals(List.of(SqlValue.of(8), SqlValue.of(8)), rows.values().get(3).subList(0, 2));
        SqlResult.StatementResult q = Sql.read(sm, SqlStatement.named("SELECT count(*) FROM t WHERE a = :v",
                Map.of("v", SqlValue.of(7))));
        assertEquals(SqlValue.of(1), ((SqlResult.Rows) q).values().get(0).get(0));
    }

    @Test
    void errorsAreResultsAndTheRestStillRuns() {
        List<SqlResult.StatementResult> r = exec(sm,
                "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)",
                "INSERT INTO t(v) VALUES ('a')",
                "INSERT INTO nosuch VALUES (1)",
                "INSERT INTO t(v) VALUES ('a')",
                "SELEKT 1",
                "INSERT INTO t(v) VALUES ('b')");
        assertEquals("no such table: nosuch", error(r.get(2)));
        assertEquals("UNIQUE constraint failed: t.v", error(r.get(3)));
        assertTrue(error(r.get(4)).contains("syntax error"), r.get(4).toString());
        assertEquals(new SqlResult.Changed(2, 1, null), r.get(5));
        assertEquals(SqlValue.of(2), value(sm, "SELECT count(*) FROM t"));
    }

    @Test
    void aTransactionIsAllOrNothing() {
        exec(sm, "CREATE TABLE acct (name TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))",
                "INSERT INTO acct VALUES ('a', 100), ('b', 0)");
        List<SqlResult.StatementResult> r = apply(sm, Sql.transaction(
                "UPDATE acct SET balance = balance + 150 WHERE name = 'b'",
                "UPDATE acct SET balance = balance - 150 WHERE name = 'a'",
                "INSERT INTO acct VALUES ('never', 1)"));
        assertEquals(2, r.size(), "stops at the error: " + r);
        assertEquals("CHECK constraint failed: balance >= 0", error(r.get(1)));
        assertEquals(SqlValue.of(100), value(sm, "SELECT sum(balance) FROM acct"));
        assertEquals(SqlValue.of(0), value(sm, "SELECT balance FROM acct WHERE name = 'b'"));
        assertEquals(2, sm.lastAppliedIndex(), "a failed transaction still consumes its index");
        r = apply(sm, Sql.transaction("UPDATE acct SET balance = balance + 50 WHERE name = 'b'",
                "UPDATE acct SET balance = balance - 50 WHERE name = 'a'"));
        assertEquals(List.of(new SqlResult.Changed(0, 1, null), new SqlResult.Changed(0, 1, null)), r);
        assertEquals(SqlValue.of(50), value(sm, "SELECT balance FROM acct WHERE name = 'b'"));
    }

    @Test
    void aStatementThatRollsBackTheTransactionTakesTheCommandWithIt() {
        exec(sm, "CREATE TABLE t (v TEXT UNIQUE)");
        List<SqlResult.StatementResult> r = exec(sm, "INSERT INTO t VALUES ('a')", "INSERT INTO t VALUES ('b')",
                "INSERT OR ROLLBACK INTO t VALUES ('a')", "INSERT INTO t VALUES ('c')");
        assertEquals(3, r.size(), r.toString());
        assertTrue(error(r.get(0)).startsWith("rolled back by statement 3"), r.toString());
        assertTrue(error(r.get(2)).contains("UNIQUE"), r.toString());
        assertEquals(SqlValue.of(0), value(sm, "SELECT count(*) FROM t"));
        assertEquals(2, sm.lastAppliedIndex());
        exec(sm, "INSERT INTO t VALUES ('d')"); // the apply connection is still in order
        assertEquals(SqlValue.of(1), value(sm, "SELECT count(*) FROM t"));
    }

    @Test
    void lastInsertIdAndChangesNeverLeakBetweenCommands() {
        exec(sm, "CREATE TABLE t (id INTEGER PRIMARY KEY, v)", "INSERT INTO t(v) VALUES (1), (2)");
        List<SqlResult.StatementResult> r = exec(sm, "UPDATE t SET v = v + 1",
                "INSERT INTO t(v) SELECT last_insert_rowid() || '/' || changes()");
        // A server that restarted since the insert would see 0 for both: every server must see 0.
        assertEquals(new SqlResult.Changed(0, 2, null), r.get(0));
        assertEquals(SqlValue.of("0/2"), value(sm, "SELECT v FROM t WHERE id = 3"));
        r = exec(sm, "INSERT INTO t(v) SELECT last_insert_rowid() || '/' || changes()");
        assertEquals(SqlValue.of("0/0"), value(sm, "SELECT v FROM t WHERE id = 4"));
        assertEquals(new SqlResult.Changed(4, 1, null), r.get(0));
        assertTrue(error(exec(sm, "INSERT INTO t(v) VALUES (total_changes())").get(0)).contains("total_changes()"));
    }

    @Test
    void returningRowsComeBackWithTheChange() {
        exec(sm, "CREATE TABLE t (id INTEGER PRIMARY KEY, v)");
        SqlResult.Changed c = changed(exec(sm, "INSERT INTO t(v) VALUES ('a'), ('b') RETURNING id, v").get(0));
        assertEquals(2, c.rowsAffected());
        assertEquals(List.of(List.of(SqlValue.of(1), SqlValue.of("a")), List.of(SqlValue.of(2), SqlValue.of("b"))),
                c.returning().values());
        assertNull(changed(exec(sm, "DELETE FROM t WHERE id = 1").get(0)).returning());
    }

    @Test
    void nondeterministicFunctionsTakeTheCommandsValues() throws Exception {
        String[] sql = {"CREATE TABLE t (k, v, at TEXT DEFAULT CURRENT_TIMESTAMP)",
                "INSERT INTO t(k, v) VALUES ('random', random()), ('blob', hex(randomblob(8))), ('now', datetime('now')),"
                        + " ('date', date()), ('julian', julianday('NOW')), ('epoch', unixepoch()), ('subsec', strftime('%f', 'now')),"
                        + " ('cts', CURRENT_TIMESTAMP), ('cd', CURRENT_DATE), ('ct', CURRENT_TIME), ('fixed', datetime(0, 'unixepoch')),"
                        + " ('diff', timediff('now', '2025-12-06'))",
                "CREATE TRIGGER stamp AFTER INSERT ON t WHEN new.k = 'fire' BEGIN INSERT INTO t(k, v) VALUES ('trigger', random()); END",
                "INSERT INTO t(k, v) VALUES ('fire', 0)"};
        List<SqlResult.StatementResult> r = exec(sm, sql);
        r.forEach(SqlStateMachineTest::changed);
        assertEquals(SqlValue.of("2025-12-06 05:46:40"), value(sm, "SELECT v FROM t WHERE k = 'now'"));
        assertEquals(SqlValue.of("2025-12-06"), value(sm, "SELECT v FROM t WHERE k = 'date'"));
        assertEquals(SqlValue.of(1_765_000_000L), value(sm, "SELECT v FROM t WHERE k = 'epoch'"));
        assertEquals(SqlValue.of("40.123"), value(sm, "SELECT v FROM t WHERE k = 'subsec'"));
        assertEquals(SqlValue.of("2025-12-06 05:46:40"), value(sm, "SELECT v FROM t WHERE k = 'cts'"));
        assertEquals(SqlValue.of("05:46:40"), value(sm, "SELECT v FROM t WHERE k = 'ct'"));
        assertEquals(SqlValue.of("1970-01-01 00:00:00"), value(sm, "SELECT v FROM t WHERE k = 'fixed'"));
        assertEquals(SqlValue.of("2025-12-06 05:46:40"), value(sm, "SELECT at FROM t WHERE k = 'fire'"),
                "a column DEFAULT is the command's time too");
        // Another server applying the same commands reaches the same database, random values included.
        try (SqlStateMachine other = SqlStateMachine.open(dir.resolve("b"))) {
            assertEquals(r, exec(other, sql));
            assertEquals(Sql.digest(sm), Sql.digest(other));
            // A different seed and time (another command) gives other values.
            apply(other, new SqlCommand(List.of(SqlStatement.of("UPDATE t SET v = random() WHERE k = 'random'")),
                    false, Sql.TIME, 7));
            apply(sm, new SqlCommand(List.of(SqlStatement.of("UPDATE t SET v = random() WHERE k = 'random'")),
                    false, Sql.TIME, 8));
            assertNotEquals(Sql.digest(sm), Sql.digest(other));
        }
    }

    @Test
    void timeZoneModifiersAreRefusedInWrites() {
        List<SqlResult.StatementResult> r = exec(sm, "CREATE TABLE t (v)", "INSERT INTO t VALUES (datetime('now', 'localtime'))",
                "INSERT INTO t VALUES (date(0, 'unixepoch', ' UTC '))", "INSERT INTO t VALUES (datetime('now', '+1 day'))");
        assertTrue(error(r.get(1)).contains("'localtime' modifier is not allowed"), r.toString());
        assertTrue(error(r.get(2)).contains("'utc' modifier"), r.toString());
        assertEquals(SqlValue.of("2025-12-07 05:46:40"), value(sm, "SELECT v FROM t"));
        // Queries are not replicated: they may ask for local time.
        assertInstanceOf(SqlResult.Rows.class, Sql.read(sm, SqlStatement.of("SELECT datetime('now', 'localtime')")));
    }

    @Test
    void refusedStatementsAreErrorResults() {
        List<SqlResult.StatementResult> r = exec(sm, "BEGIN", "CREATE TEMP TABLE x (a)", "ATTACH 'other.db' AS o",
                "PRAGMA foreign_keys = OFF", "PRAGMA user_version = 7", "SELECT 1; SELECT 2", "VACUUM",
                "DROP TABLE raftkv_applied", "CREATE TABLE t AS SELECT * FROM pragma_page_count", "");
        assertTrue(error(r.get(0)).startsWith("BEGIN is not allowed"));
        assertTrue(error(r.get(1)).startsWith("TEMP objects"));
        assertTrue(error(r.get(2)).startsWith("ATTACH"));
        assertTrue(error(r.get(3)).startsWith("PRAGMA foreign_keys"));
        changed(r.get(4));
        assertTrue(error(r.get(5)).startsWith("more than one statement"));
        assertTrue(error(r.get(6)).startsWith("VACUUM"));
        assertTrue(error(r.get(7)).contains("reserved"));
        assertTrue(error(r.get(8)).contains("pragma_page_count"));
        assertEquals("empty statement", error(r.get(9)));
        assertEquals(SqlValue.of(7), value(sm, "PRAGMA user_version"));
    }

    @Test
    void queriesCannotWrite() {
        exec(sm, "CREATE TABLE t (a)");
        SqlResult.StatementResult r = Sql.read(sm, SqlStatement.of("INSERT INTO t VALUES (1)"));
        assertTrue(error(r).contains("readonly"), r.toString());
        assertTrue(error(Sql.read(sm, SqlStatement.of("PRAGMA query_only = 0"))).startsWith("PRAGMA query_only = … is not allowed"));
        assertEquals(SqlValue.of(0), value(sm, "SELECT count(*) FROM t"));
    }

    @Test
    void malformedCommandsAndQueriesAreResultsThatConsumeTheIndex() {
        byte[] garbage = "not a command".getBytes(StandardCharsets.UTF_8);
        SqlResult r = SqlCodec.decodeResult(sm.apply(1, garbage));
        assertTrue(((SqlResult.Invalid) r).reason().startsWith("malformed command"), r.toString());
        assertEquals(1, sm.lastAppliedIndex());
        r = SqlCodec.decodeResult(sm.apply(2, SqlCodec.encodeCommand(new SqlCommand(List.of(), false, 0, 0))));
        assertInstanceOf(SqlResult.Invalid.class, r);
        r = SqlCodec.decodeResult(sm.query(new byte[]{1, 0x01}));
        assertTrue(((SqlResult.Invalid) r).reason().startsWith("malformed query"), r.toString());
        assertThrows(IllegalStateException.class, () -> sm.apply(2, garbage), "an index applied twice stops the server");
        sm.skip(5);
        assertEquals(5, sm.lastAppliedIndex());
        assertThrows(IllegalStateException.class, () -> sm.skip(5));
    }

    @Test
    void theDatabaseAndItsIndexSurviveARestart() throws Exception {
        exec(sm, "CREATE TABLE t (id INTEGER PRIMARY KEY, v)", "INSERT INTO t(v) VALUES ('a')");
        sm.skip(2);
        SqlResult.StateDigest before = Sql.digest(sm);
        assertEquals(2, before.appliedIndex());
        sm.close();
        sm = SqlStateMachine.open(dir.resolve("a"));
        assertEquals(2, sm.lastAppliedIndex());
        assertEquals(before, Sql.digest(sm));
        assertEquals(new SqlResult.Changed(2, 1, null), exec(sm, "INSERT INTO t(v) VALUES ('b')").get(0));
    }

    @Test
    void digestIgnoresLayoutButNotContent() throws Exception {
        try (SqlStateMachine other = SqlStateMachine.open(dir.resolve("b"))) {
            exec(sm, "CREATE TABLE t (k TEXT PRIMARY KEY, v) WITHOUT ROWID", "INSERT INTO t VALUES ('x', 1), ('y', 2)");
            exec(other, "CREATE TABLE t (k TEXT PRIMARY KEY, v) WITHOUT ROWID", "INSERT INTO t VALUES ('y', 2)");
            exec(other, "INSERT INTO t VALUES ('x', 1)");
            assertNotEquals(Sql.digest(sm), Sql.digest(other), "different indexes");
            assertEquals(Sql.digest(sm).digest().length, 32);
            assertEquals(java.util.HexFormat.of().formatHex(Sql.digest(sm).digest()),
                    java.util.HexFormat.of().formatHex(Sql.digest(other).digest()), "same rows, other insertion order");
            exec(other, "UPDATE t SET v = 1.0 WHERE k = 'x'");
            assertNotEquals(java.util.HexFormat.of().formatHex(Sql.digest(sm).digest()),
                    java.util.HexFormat.of().formatHex(Sql.digest(other).digest()), "1 and 1.0 are different values");
        }
    }
}
