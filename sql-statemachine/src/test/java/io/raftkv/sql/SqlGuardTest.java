package io.raftkv.sql;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqlGuardTest {
    private static SqlGuard.Checked ok(String sql, SqlGuard.Use use) {
        SqlGuard.Outcome o = SqlGuard.check(sql, use);
        return assertInstanceOf(SqlGuard.Checked.class, o, () -> sql + " -> " + o);
    }

    private static String refused(String sql, SqlGuard.Use use) {
        SqlGuard.Outcome o = SqlGuard.check(sql, use);
        return assertInstanceOf(SqlGuard.Refused.class, o, () -> sql + " -> " + o).reason();
    }

    @Test
    void oneStatementPerEntryButTriggerBodiesAndStringsHoldSemicolons() {
        ok("INSERT INTO t VALUES ('a;b') ; ;  -- done; really", SqlGuard.Use.COMMAND);
        ok("SELECT 1 /* ; */", SqlGuard.Use.QUERY);
        ok("CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN new.a > 1 THEN 1 ELSE 2 END; "
                + "INSERT INTO u VALUES (1); END;", SqlGuard.Use.COMMAND);
        assertTrue(refused("SELECT 1; SELECT 2", SqlGuard.Use.QUERY).startsWith("more than one statement"));
        assertTrue(refused("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; DROP TABLE t", SqlGuard.Use.COMMAND)
                .startsWith("more than one statement"));
        assertEquals("empty statement", refused("  -- nothing", SqlGuard.Use.COMMAND));
        assertEquals("empty statement", refused(";", SqlGuard.Use.COMMAND));
    }

    @Test
    void parametersAreNumberedAsSqliteNumbersThem() {
        SqlGuard.Checked c = ok("SELECT ?3, ?, ?", SqlGuard.Use.QUERY);
        assertEquals(5, c.parameters());
        c = ok("SELECT :a, @b, :a, $c::x", SqlGuard.Use.QUERY);
        assertEquals(3, c.parameters());
        assertEquals(new TreeMap<>(Map.of(1, "a", 2, "b", 3, "c::x")), c.namedByIndex());
        ok("SELECT '?', \":a\", x'00' -- ?", SqlGuard.Use.QUERY);
        assertEquals(0, ok("SELECT '?', \":a\" -- ?", SqlGuard.Use.QUERY).parameters());
        assertTrue(refused("SELECT ?, :a", SqlGuard.Use.QUERY).contains("mixes"));
        assertTrue(refused("SELECT ?0", SqlGuard.Use.QUERY).contains("out of range"));
    }

    @Test
    void refusalsSayWhy() {
        for (String sql : List.of("begin", "COMMIT", "end transaction", "ROLLBACK", "SAVEPOINT x", "RELEASE x")) {
            assertTrue(refused(sql, SqlGuard.Use.COMMAND).contains("?transaction"), sql);
            assertTrue(refused(sql, SqlGuard.Use.QUERY).contains("?transaction"), sql);
        }
        assertTrue(refused("CREATE TEMPORARY VIEW v AS SELECT 1", SqlGuard.Use.COMMAND).startsWith("TEMP"));
        assertTrue(refused("INSERT INTO temp.x VALUES (1)", SqlGuard.Use.COMMAND).startsWith("the temp schema"));
        assertTrue(refused("SELECT * FROM \"Raftkv_Applied\"", SqlGuard.Use.QUERY).contains("reserved"));
        assertTrue(refused("INSERT INTO t SELECT * FROM dbstat", SqlGuard.Use.COMMAND).contains("dbstat"));
        ok("SELECT * FROM dbstat", SqlGuard.Use.QUERY);
        ok("SELECT temp FROM t", SqlGuard.Use.COMMAND); // a column named temp is fine
        ok("PRAGMA main.user_version = 3", SqlGuard.Use.COMMAND);
        ok("PRAGMA table_info(t)", SqlGuard.Use.COMMAND);
        ok("PRAGMA page_count", SqlGuard.Use.QUERY);
        assertTrue(refused("PRAGMA page_count", SqlGuard.Use.COMMAND).contains("not part of the replicated database"));
        assertTrue(refused("PRAGMA journal_mode = DELETE", SqlGuard.Use.COMMAND).contains("per-connection"));
        assertTrue(refused("PRAGMA user_version = 1", SqlGuard.Use.QUERY).contains("in a query"));
        assertTrue(refused("PRAGMA aux.user_version", SqlGuard.Use.QUERY).contains("only main"));
    }

    @Test
    void theLeaderRefusesWhatApplyWouldRefuse() {
        LeaderStamp stamp = new LeaderStamp(java.time.Clock.fixed(java.time.Instant.ofEpochMilli(5), java.time.ZoneOffset.UTC), () -> 9);
        LeaderStamp.RefusedException e = org.junit.jupiter.api.Assertions.assertThrows(LeaderStamp.RefusedException.class,
                () -> stamp.stamp(List.of(SqlStatement.of("SELECT 1"), SqlStatement.of("VACUUM"),
                        SqlStatement.of("INSERT INTO t VALUES (?)")), false));
        assertEquals(2, e.refusals().size());
        assertEquals(1, e.refusals().get(0).statement());
        assertTrue(e.refusals().get(1).reason().contains("1 parameter(s) but 0 value(s)"));
        try {
            SqlCommand c = stamp.stamp(List.of(SqlStatement.of("INSERT INTO t VALUES (random())")), true);
            assertEquals(new SqlCommand(List.of(SqlStatement.of("INSERT INTO t VALUES (random())")), true, 5, 9), c);
        } catch (LeaderStamp.RefusedException unexpected) {
            throw new AssertionError(unexpected);
        }
    }
}
