package io.raftkv.sql;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.sim.Invariant;
import io.raftkv.sim.SimConfig;
import io.raftkv.sim.SimResult;
import io.raftkv.sim.Simulator;
import io.raftkv.sim.WorkloadTally;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL state machine under raft-sim's seeded fault schedules (crashes, partitions, snapshots and their
 * installation, membership changes), with a bank workload: every applied command's result must be equal on
 * every server (the checker's State Machine Safety), and the database digest must be equal on any two servers
 * at the same applied index (after snapshots, restores, every 10th index and at the end).
 * {@code -Dsql.sim.seeds=N} runs more seeds.
 */
class SqlSimulationTest {
    @TempDir
    Path dir;
    private final AtomicLong instances = new AtomicLong();

    /** A fresh database per server and per restart (the simulator rebuilds state from snapshot and log). */
    private SqlStateMachine fresh() {
        try {
            return SqlStateMachine.open(dir.resolve("sm-" + instances.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterEach
    void everyDatabaseWasClosed() {
        assertTrue(instances.get() > 0);
    }

    /**
     * A database file is a snapshot of 16 KiB and more (a 4 KiB page per table and index), sent in 16–415 byte
     * chunks by the simulated network: a server added after the log was compacted needs far longer than the
     * default 100 ticks to catch up, legitimately.
     */
    private static SimConfig config() {
        SimConfig d = SimConfig.defaults(3);
        return d.withLivenessBounds(d.leaderBoundTicks(), Integer.getInteger("sql.sim.commitTicks", 3000));
    }

    @Test
    void theDatabaseConvergesUnderSeededFaults() {
        long seeds = Long.getLong("sql.sim.seeds", 40);
        Simulator sim = new Simulator(config().withStateMachine(this::fresh), new SqlWorkload());
        Simulator.Summary s = sim.verifySeeds(Long.getLong("sql.sim.first", 0), seeds);
        assertEquals(seeds, s.schedules());
        WorkloadTally t = sim.tally();
        // Every kind of command was applied, both ways a transfer ends, and every failure path.
        for (String kind : new String[]{"open: ok", "transfer: ok", "transfer: CHECK constraint failed: balance >= 0",
                "deposit: ok", "close: ok", "broken: no such table: nosuch", "garbage: invalid"}) {
            assertTrue(t.commands().getOrDefault(kind, 0L) > 0, kind + " never applied:\n" + t.report());
        }
        assertTrue(t.commands().keySet().stream().anyMatch(k -> k.startsWith("refused: ")), t.report());
        assertTrue(t.queries().getOrDefault("rows", 0L) > 50, t.report());
        assertTrue(t.digestsCompared() > 100, t.report());
    }

    /**
     * What the leader's stamp is for: a server that took "now" and random() from itself instead of the command
     * ends with another database, and the digest check catches it.
     */
    @Test
    void withoutTheLeadersStampServersDiverge() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(() -> new Unstamped(fresh())), new SqlWorkload());
        Simulator.Summary s = sim.runSeeds(0, 20);
        SimResult failure = s.failure();
        assertNotNull(failure, "20 seeds without a divergence found");
        assertEquals(Invariant.STATE_MACHINE_SAFETY, failure.violation().invariant(), failure.violation().getMessage());
    }

    /** Applies each command with this server's own seed and clock, as a state machine without the stamp would. */
    private static final class Unstamped implements StateMachine, AutoCloseable {
        private final SqlStateMachine sql;
        private final long serverSeed = System.nanoTime();

        Unstamped(SqlStateMachine sql) {
            this.sql = sql;
        }

        @Override
        public byte[] apply(long index, byte[] command) {
            try {
                SqlCommand c = SqlCodec.decodeCommand(command);
                command = SqlCodec.encodeCommand(new SqlCommand(c.statements(), c.transaction(),
                        System.currentTimeMillis(), serverSeed ^ index));
            } catch (SqlCodecException e) {
                // garbage stays garbage
            }
            return sql.apply(index, command);
        }

        @Override
        public void skip(long index) {
            sql.skip(index);
        }

        @Override
        public byte[] query(byte[] request) {
            return sql.query(request);
        }

        @Override
        public long lastAppliedIndex() {
            return sql.lastAppliedIndex();
        }

        @Override
        public Snapshot snapshot() {
            return sql.snapshot();
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) throws IOException {
            sql.restore(lastIncludedIndex, in);
        }

        @Override
        public void close() {
            sql.close();
        }
    }
}
