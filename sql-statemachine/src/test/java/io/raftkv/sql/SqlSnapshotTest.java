package io.raftkv.sql;

import io.raftkv.core.statemachine.StateMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.raftkv.sql.Sql.exec;
import static io.raftkv.sql.Sql.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqlSnapshotTest {
    @TempDir
    Path dir;
    SqlStateMachine a;
    SqlStateMachine b;

    @BeforeEach
    void open() throws Exception {
        a = SqlStateMachine.open(dir.resolve("a"));
        b = SqlStateMachine.open(dir.resolve("b"));
        exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP)",
                "CREATE INDEX t_v ON t(v)", "PRAGMA user_version = 3");
        for (int i = 0; i < 50; i++) {
            exec(a, "INSERT INTO t(v) VALUES ('row " + i + "'), (hex(randomblob(16)))");
        }
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
    }

    private static byte[] write(StateMachine.Snapshot s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (s) {
            s.writeTo(out);
        }
        return out.toByteArray();
    }

    @Test
    void roundTripThenBothApplyAlike() throws Exception {
        byte[] bytes = write(a.snapshot());
        b.restore(a.lastAppliedIndex() + 2, new ByteArrayInputStream(bytes)); // covers two no-ops after it
        assertEquals(a.lastAppliedIndex() + 2, b.lastAppliedIndex());
        a.skip(a.lastAppliedIndex() + 1);
        a.skip(a.lastAppliedIndex() + 1);
        assertEquals(Sql.digest(a), Sql.digest(b));
        assertEquals(SqlValue.of(3), value(b, "PRAGMA user_version"));
        List<SqlResult.StatementResult> ra = exec(a, "INSERT INTO t(v) VALUES (random())");
        assertEquals(ra, exec(b, "INSERT INTO t(v) VALUES (random())"), "last_insert_id and random() continue alike");
        assertEquals(Sql.digest(a), Sql.digest(b));
        // The restored database is durable: it is the file a restart opens.
        SqlResult.StateDigest before = Sql.digest(b);
        b.close();
        b = SqlStateMachine.open(dir.resolve("b"));
        assertEquals(before, Sql.digest(b));
        try (Stream<Path> files = Files.list(dir.resolve("b"))) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temp file left");
        }
    }

    @Test
    void aSnapshotHoldsTheStateAtCaptureWhileApplyGoesOn() throws Exception {
        StateMachine.Snapshot captured = a.snapshot();
        SqlResult.StateDigest atCapture = Sql.digest(a);
        AtomicInteger writes = new AtomicInteger();
        // Written slowly on another thread while this (the apply) thread keeps committing.
        CompletableFuture<byte[]> written = CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            try (captured; OutputStream slow = new FilterOutputStream(sink) {
                @Override
                public void write(byte[] buf, int off, int len) throws IOException {
                    if (len > SqlSnapshotFormat.BUFFER_BYTES) {
                        throw new IOException("a write of " + len + " bytes: more than 16 KiB at once");
                    }
                    writes.incrementAndGet();
                    out.write(buf, off, len);
                    Thread.onSpinWait();
                }
            }) {
                captured.writeTo(slow);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return sink.toByteArray();
        });
        for (int i = 0; i < 200; i++) {
            exec(a, "UPDATE t SET v = v || '+' WHERE id % 7 = " + (i % 7), "DELETE FROM t WHERE id = " + i);
        }
        byte[] bytes = written.get(60, TimeUnit.SECONDS);
        assertTrue(writes.get() > 1);
        b.restore(atCapture.appliedIndex(), new ByteArrayInputStream(bytes));
        assertEquals(atCapture, Sql.digest(b));
    }

    @Test
    void corruptTruncatedOrForeignSnapshotsFailAndChangeNothing() throws Exception {
        exec(b, "CREATE TABLE mine (x)", "INSERT INTO mine VALUES (1)");
        SqlResult.StateDigest before = Sql.digest(b);
        byte[] good = write(a.snapshot());
        long index = a.lastAppliedIndex();
        int[] positions = {0, 4, 5, 6, 13, 20, SqlSnapshotFormat.HEADER_BYTES + 100, good.length / 2, good.length - 5, good.length - 1};
        for (int pos : positions) {
            byte[] bad = good.clone();
            bad[pos] ^= 0x10;
            assertThrows(IOException.class, () -> b.restore(index, new ByteArrayInputStream(bad)), "flip at " + pos);
        }
        for (int len : new int[]{0, 3, SqlSnapshotFormat.HEADER_BYTES, good.length / 3, good.length - 4, good.length - 1}) {
            byte[] cut = Arrays.copyOf(good, len);
            assertThrows(IOException.class, () -> b.restore(index, new ByteArrayInputStream(cut)), "cut at " + len);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThrows(IOException.class, () -> b.restore(index, new ByteArrayInputStream(longer)));
        IOException ahead = assertThrows(IOException.class, () -> b.restore(index - 1, new ByteArrayInputStream(good)));
        assertTrue(ahead.getMessage().contains("cannot hold commands after"), ahead.getMessage());
        assertEquals(before, Sql.digest(b));
        assertEquals(2, exec(b, "INSERT INTO mine VALUES (2)").size() + 1, "still applying");
        try (Stream<Path> files = Files.list(dir.resolve("b"))) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temp file left");
        }
    }

    @Test
    void queriesRunWhileAnotherThreadRestores() throws Exception {
        byte[] bytes = write(a.snapshot());
        exec(b, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, at TEXT)");
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            int ok = 0;
            for (int i = 0; i < 300; i++) {
                SqlResult.StatementResult r = Sql.read(b, SqlStatement.of("SELECT count(*) FROM t"));
                if (r instanceof SqlResult.Rows) {
                    ok++;
                }
            }
            return ok;
        });
        for (int i = 0; i < 3; i++) {
            b.restore(a.lastAppliedIndex() + i, new ByteArrayInputStream(bytes));
        }
        assertEquals(300, reader.get(60, TimeUnit.SECONDS), "every query answered, before or after a swap");
        assertEquals(SqlValue.of(100), value(b, "SELECT count(*) FROM t"));
    }

    @Test
    void theStreamIsTheDatabaseFileFramed() throws Exception {
        byte[] bytes = write(a.snapshot());
        assertArrayEquals(SqlSnapshotFormat.MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII), Arrays.copyOf(bytes, 4));
        byte[] file = Arrays.copyOfRange(bytes, SqlSnapshotFormat.HEADER_BYTES, SqlSnapshotFormat.HEADER_BYTES + 16);
        assertEquals("SQLite format 3\0", new String(file, java.nio.charset.StandardCharsets.US_ASCII));
    }
}
