package io.raftkv.sim;

import io.raftkv.core.statemachine.StateMachine;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulator runs a state machine author's own commands and queries, tallies them and compares digests. */
class WorkloadTest {

    /** A counter with text commands "add N" and "reset", queries "get" and "digest". */
    static class Counter implements StateMachine {
        long value;
        long lastApplied;

        @Override
        public byte[] apply(long index, byte[] command) {
            lastApplied = index;
            String c = new String(command, StandardCharsets.UTF_8);
            if (c.startsWith("add ")) {
                long n = Long.parseLong(c.substring(4));
                if (value + n > 1_000) {
                    return text("refused: over 1000");
                }
                value += n;
                return text("ok " + value);
            }
            if (c.equals("reset")) {
                value = 0;
                return text("ok 0");
            }
            return text("unknown command");
        }

        @Override
        public void skip(long index) {
            lastApplied = index;
        }

        @Override
        public byte[] query(byte[] request) {
            String q = new String(request, StandardCharsets.UTF_8);
            return text(q.equals("get") || q.equals("digest") ? Long.toString(value) : "unknown query");
        }

        @Override
        public long lastAppliedIndex() {
            return lastApplied;
        }

        @Override
        public Snapshot snapshot() {
            long v = value;
            return out -> new DataOutputStream(out).writeLong(v);
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) throws IOException {
            value = new DataInputStream(in).readLong();
            lastApplied = lastIncludedIndex;
        }
    }

    /** Its restore forgets the state: only the digest after a restore can tell. */
    static final class ForgetfulCounter extends Counter {
        @Override
        public void restore(long lastIncludedIndex, InputStream in) throws IOException {
            in.readAllBytes();
            value = 0;
            lastApplied = lastIncludedIndex;
        }
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static final Workload COUNTER = Workload.of(
                    r -> text(r.nextInt(10) == 0 ? "reset" : "add " + r.nextInt(100)),
                    r -> text(r.nextInt(5) == 0 ? "bogus" : "get"))
            .classifiedBy((command, result) -> new String(command, StandardCharsets.UTF_8).split(" ")[0] + ": "
                            + new String(result, StandardCharsets.UTF_8).split(" ")[0],
                    (query, answer) -> new String(query, StandardCharsets.UTF_8))
            .withDigest(text("digest"), 10);

    @Test
    void theAuthorsCommandsAndQueriesRunAndAreTallied() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(Counter::new), COUNTER);
        Simulator.Summary s = sim.verifySeeds(0, 40);
        WorkloadTally t = sim.tally();
        assertEquals(40, s.schedules());
        assertTrue(t.commands().getOrDefault("add: ok", 0L) > 100, t.report());
        assertTrue(t.commands().getOrDefault("add: refused:", 0L) > 0, t.report());
        assertTrue(t.commands().getOrDefault("reset: ok", 0L) > 0, t.report());
        assertFalse(t.commands().containsKey("c1"), "no built-in commands: " + t.report());
        assertTrue(t.queries().getOrDefault("get", 0L) > 10 && t.queries().getOrDefault("bogus", 0L) > 0, t.report());
        assertTrue(t.digestsCompared() > 100, t.report());
        assertTrue(t.proposed() >= t.commands().values().stream().mapToLong(Long::longValue).sum(), t.report());
    }

    @Test
    void aTextWorkloadNamesKindsByFirstWordAndErrorAndTheTallyAssertsThem() {
        Workload text = Workload.ofText(r -> r.nextInt(10) == 0 ? "reset" : "add " + r.nextInt(400),
                r -> r.nextBoolean() ? "get" : null).withDigest("digest", 10);
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(() -> new Counter() {
            @Override
            public byte[] apply(long index, byte[] command) {
                byte[] r = super.apply(index, command);
                return new String(r, StandardCharsets.UTF_8).startsWith("refused") ? text("error: over 1000") : r;
            }
        }), text);
        sim.verifySeeds(0, 10);
        WorkloadTally t = sim.tally().assertApplied("add: ok", "add: error: over 1000", "reset: ok")
                .assertAnswered("get: ok");
        assertTrue(t.digestsCompared() > 0, t.report());
        assertEquals("add 5", text.describe(text("add 5")), "traces show the text");
        AssertionError missing = assertThrows(AssertionError.class, () -> t.assertApplied("transfer: ok"));
        assertTrue(missing.getMessage().contains("'transfer: ok'") && missing.getMessage().contains("add: ok"),
                missing.getMessage());
    }

    @Test
    void aWorkloadKeepsTheSeedsFaultSchedule() {
        Simulator plain = new Simulator(SimConfig.defaults(5));
        Simulator mine = new Simulator(SimConfig.defaults(5).withStateMachine(Counter::new), COUNTER);
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(plain.schedule(seed).toString(), mine.schedule(seed).toString());
        }
    }

    @Test
    void aRestoreThatLosesStateIsCaughtByTheDigestAndReplaysWithTheAuthorsStateMachine() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(ForgetfulCounter::new), COUNTER);
        Simulator.Summary s = sim.runSeeds(0, 200);
        assertNotNull(s.failure(), "some seed restores a snapshot");
        SimResult failing = s.failure();
        assertEquals(Invariant.STATE_MACHINE_SAFETY, failing.violation().invariant(), failing.violation().getMessage());
        String report = sim.explain(failing, 50).report();
        assertTrue(report.contains("simulator.replay(\"--nodes 3 --seed " + failing.schedule().seed() + "\")"), report);

        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        SimResult replayed;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            replayed = sim.replay(failing.schedule().seed());
        } finally {
            System.setOut(stdout);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertEquals(failing.violation().getMessage(), replayed.violation().getMessage(), "the same failure");
        assertTrue(printed.contains(replayed.trace()) && printed.contains("workload: ")
                && printed.contains("VIOLATION STATE_MACHINE_SAFETY"), printed.substring(Math.max(0, printed.length() - 2000)));
        assertTrue(replayed.trace().contains("restore state machine from snapshot"), "the trace shows the restore");
        assertThrows(IllegalArgumentException.class, () -> sim.replay("--nodes 5 --seed 1"));
    }

    @Test
    void theBuiltInWorkloadIsUnchangedByTheHook() {
        // Same seed, same trace, with or without the (unused) hook: the default path draws nothing new.
        Simulator sim = new Simulator(SimConfig.defaults(3));
        for (long seed = 0; seed < 5; seed++) {
            SimResult a = sim.run(sim.schedule(seed), true);
            SimResult b = new Simulator(SimConfig.defaults(3), null).run(sim.schedule(seed), true);
            assertEquals(a.trace(), b.trace());
            assertTrue(a.trace().contains("'c1'"), "the built-in commands");
        }
        assertEquals(0, sim.tally().proposed());
    }

    @Test
    void generatorsGetTheirOwnSeededStream() {
        SplittableRandom[] seen = new SplittableRandom[1];
        Workload w = Workload.of(r -> {
            seen[0] = r;
            return text("add 1");
        }, null);
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(Counter::new), w);
        SimResult a = sim.run(sim.schedule(3), true);
        SimResult b = sim.run(sim.schedule(3), true);
        assertEquals(a.trace(), b.trace(), "deterministic");
        assertNotNull(seen[0]);
    }
}
