package io.raftkv.bench.snapshot;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.server.RaftServer;
import io.raftkv.sql.LeaderStamp;
import io.raftkv.sql.SqlCodec;
import io.raftkv.sql.SqlCommand;
import io.raftkv.sql.SqlQuery;
import io.raftkv.sql.SqlResult;
import io.raftkv.sql.SqlStateMachine;
import io.raftkv.sql.SqlStatement;
import io.raftkv.sql.SqlValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.raftkv.bench.snapshot.SnapshotBench.intArg;
import static io.raftkv.bench.snapshot.SnapshotBench.stringArg;

/**
 * The SQL state machine's snapshot numbers, measured as {@link SnapshotBench} measures the KV store's: a leader with
 * the Chronicle log, FileSnapshotStore and the Netty transport, holding a table of {@code --rows} rows (default
 * 1,000,000: id, a text key, a 100-byte blob; ~130 MB of database file). (1) {@code takeSnapshot()} three times:
 * capture (a read transaction) + online backup of the pages + streaming + fsync, and the size. (2) An open-loop
 * writer at {@code --rate} single-row updates/s, alternating phases without a snapshot and with snapshots back to
 * back; the ratio of the median round p99s is the number to read.
 * Run: {@code java -Xmx1g <chronicle flags> -cp benchmarks/target/benchmarks.jar io.raftkv.bench.snapshot.SqlSnapshotBench}.
 */
public final class SqlSnapshotBench {
    private static final int ROWS_PER_COMMAND = 10_000;

    private SqlSnapshotBench() {
    }

    public static void main(String[] args) throws Exception {
        int rows = intArg(args, "--rows", 1_000_000);
        int rate = intArg(args, "--rate", 2000);
        int phaseSeconds = intArg(args, "--phase-seconds", 8);
        int rounds = intArg(args, "--rounds", 3);
        Path base = Path.of(stringArg(args, "--dir", System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(Files.createDirectories(base), "sql-snapshot-bench-");
        System.out.printf("sql snapshot bench: %,d rows, updates at %d/s, %d rounds of %d s phases, dir %s, load %s%n",
                rows, rate, rounds, phaseSeconds, dir, SnapshotBench.loadavg());
        String address = "127.0.0.1:" + SnapshotBench.freePort();
        SqlStateMachine sm = SqlStateMachine.open(dir.resolve("n1").resolve("sql"));
        RaftServer leader = BenchNode.start("n1", dir.resolve("n1"), address,
                Configuration.ofVoters(List.of(Member.voter("n1", address))), sm, new SimpleMeterRegistry());
        LeaderStamp stamp = new LeaderStamp();
        try {
            SnapshotBench.awaitLeader(leader);
            long t0 = System.nanoTime();
            execute(leader, stamp, SqlStatement.of("CREATE TABLE kv (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB)"));
            for (int from = 1; from <= rows; from += ROWS_PER_COMMAND) {
                execute(leader, stamp, SqlStatement.of("WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c "
                                + "WHERE i < ?) INSERT INTO kv(id, k, v) SELECT i, 'key' || i, randomblob(100) FROM c",
                        SqlValue.of(from), SqlValue.of(Math.min(rows, from + ROWS_PER_COMMAND - 1))));
            }
            Path file = dir.resolve("n1").resolve("sql").resolve("state.db");
            System.out.printf("loaded %,d rows in %.1f s; database file %.1f MB (+ WAL %.1f MB)%n", rows,
                    (System.nanoTime() - t0) / 1e9, Files.size(file) / 1e6,
                    sizeOrZero(file.resolveSibling("state.db-wal")) / 1e6);

            SnapshotBench.timeSnapshots(leader, rnd -> update(stamp, rnd, rows), "capture + backup + write + fsync");
            SnapshotBench.compareWriteLatency(leader, rnd -> update(stamp, rnd, rows), rate, phaseSeconds, rounds);
            byte[] digest = sm.query(SqlCodec.encodeQuery(SqlQuery.Digest.INSTANCE));
            System.out.println("final " + SqlCodec.decodeResult(digest));
        } finally {
            leader.close();
            sm.close();
            SnapshotBench.deleteRecursively(dir);
        }
    }

    private static long sizeOrZero(Path p) throws java.io.IOException {
        return Files.exists(p) ? Files.size(p) : 0;
    }

    private static byte[] update(LeaderStamp stamp, SplittableRandom rnd, int rows) {
        byte[] value = new byte[100];
        rnd.nextBytes(value);
        try {
            return SqlCodec.encodeCommand(stamp.stamp(List.of(SqlStatement.of("UPDATE kv SET v = ? WHERE id = ?",
                    SqlValue.of(value), SqlValue.of(1 + rnd.nextInt(rows)))), false));
        } catch (LeaderStamp.RefusedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void execute(RaftServer leader, LeaderStamp stamp, SqlStatement statement) throws Exception {
        SqlCommand command = stamp.stamp(List.of(statement), false);
        SqlResult r = SqlCodec.decodeResult(leader.propose(SqlCodec.encodeCommand(command)).get(120, TimeUnit.SECONDS));
        if (!(r instanceof SqlResult.Results results) || results.results().get(0) instanceof SqlResult.Error) {
            throw new IllegalStateException(statement.sql() + " -> " + r);
        }
    }
}
