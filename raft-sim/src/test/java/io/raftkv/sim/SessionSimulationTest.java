package io.raftkv.sim;

import io.raftkv.core.session.SessionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Client sessions (thesis §6.3) under the simulator's faults: session clients lose a third of their answers and
 * resend through leader changes, crashes, partitions and snapshots, and no (session, seq) is ever applied twice
 * ({@link Invariant#EXACTLY_ONCE}, checked on every apply of every node). {@code -Dsim.session.seeds=N} seeds per
 * cluster size (default 300). The {@code SKIP_DEDUP} mutation proves the check bites.
 */
class SessionSimulationTest {

    static SimConfig withSessions(int nodes, SimConfig.Sessions sessions) {
        return SimConfig.defaults(nodes).withStateMachine(CountingStateMachine::new).withSessions(sessions);
    }

    /** Expiry, evictions and refusals in every run: 30-tick sessions, one session per client, one answer each. */
    static SimConfig.Sessions tight() {
        return SimConfig.Sessions.defaults().withOptions(SessionOptions.defaults()
                .withSessionTimeout(Duration.ofMillis(30L * Simulation.TICK)).withMaxSessions(2)
                .withMaxAnswersPerSession(1).withMaxAnswerBytes(2 * 90));
    }

    /** What the session clients got over many seeds: answers, and of them answers from the table. */
    record Totals(long answered, long repeats) {
    }

    /** Runs the seeds, failing with the shrunk report at the first violation; sums what the session clients got. */
    static Totals verify(SimConfig config, long first, long count) {
        Simulator sim = new Simulator(config);
        long answered = 0;
        long repeats = 0;
        for (long seed = first; seed < first + count; seed++) {
            Simulation run = new Simulation(config, sim.schedule(seed), false);
            SimResult r = run.run();
            if (r.failed()) {
                fail(sim.explain(r, 300).report(), r.violation());
            }
            answered += run.sessions().answered();
            repeats += run.sessions().repeats();
        }
        return new Totals(answered, repeats);
    }

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {3, 5})
    void resentWritesAreAppliedOnceUnderFaults(int nodes) {
        long seeds = Long.getLong("sim.session.seeds", 300);
        Totals t = verify(withSessions(nodes, SimConfig.Sessions.defaults()), 0, seeds);
        System.out.println(nodes + " nodes with sessions: " + seeds + " schedules, " + t.answered()
                + " session writes answered, " + t.repeats() + " of them from the table");
        assertTrue(t.answered() > 1000, "session writes answered: " + t);
        // The point of the exercise: resends of applied writes were answered from the table.
        assertTrue(t.repeats() > 50, "repeats answered from the table: " + t);
    }

    @Test
    void tightCapsAndShortTimeoutsGiveErrorsNeverASecondApply() {
        Simulator sim = new Simulator(withSessions(3, tight()));
        Totals t = verify(sim.config(), 1000, Long.getLong("sim.session.seeds", 300) / 2);
        assertTrue(t.answered() > 100, t.toString());
        // The error paths were taken: sessions expired or evicted, answers evicted.
        StringBuilder traces = new StringBuilder();
        for (long seed = 1000; seed < 1010; seed++) {
            traces.append(sim.run(sim.schedule(seed), true).trace());
        }
        assertTrue(traces.indexOf(" unknown; ") >= 0, "no session expired or was evicted");
        assertTrue(traces.indexOf("no longer answered (EVICTED)") >= 0, "no answer was evicted");
    }

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {3, 5})
    void theCheckerCatchesAWrapperThatSkipsTheDedup(int nodes) {
        SimConfig.Sessions broken = SimConfig.Sessions.defaults().withOptions(SessionOptions.defaults()
                .withUnsafeMutation(SessionOptions.UnsafeMutation.SKIP_DEDUP));
        Simulator sim = new Simulator(withSessions(nodes, broken));
        long bound = Long.getLong("sim.mutation.seeds", 3000);
        Simulator.Summary s = sim.runSeeds(0, bound);
        System.out.println("SKIP_DEDUP on " + nodes + " nodes: caught after " + s.schedules() + " seed(s)"
                + (s.failure() == null ? "" : ": " + s.failure().violation().getMessage()));
        assertNotNull(s.failure(), "SKIP_DEDUP went unnoticed for " + bound + " seeds on " + nodes + " nodes");
        assertEquals(Invariant.EXACTLY_ONCE, s.failure().violation().invariant(), s.failure().violation().getMessage());
        assertTrue(s.schedules() <= 20, "caught only after " + s.schedules() + " seeds");
        Simulator.Failure f = sim.explain(s.failure(), 100);
        assertTrue(f.shrunk().failed(), f.report());
        assertTrue(f.report().contains("applied it already at index"), f.report());
    }

    @Test
    void aSessionRunReplaysByteForByte() {
        Simulator sim = new Simulator(withSessions(5, SimConfig.Sessions.defaults()));
        Schedule schedule = sim.schedule(17);
        SimResult a = sim.run(schedule, true);
        SimResult b = new Simulator(withSessions(5, SimConfig.Sessions.defaults())).run(schedule, true);
        assertEquals(a.trace(), b.trace());
        assertEquals(a.stats(), b.stats());
        // Which client registers first depends on the schedule (and on how the core paces its messages): any will do.
        assertTrue(java.util.regex.Pattern.compile("client \\d+: session \\d+$", java.util.regex.Pattern.MULTILINE)
                .matcher(a.trace()).find(), "the session clients are traced");
    }

    @Test
    void sessionsChangeNeitherTheScheduleNorTheRunsWithoutThem() {
        // The session clients draw from a stream of their own: a seed's faults are the same with and without them,
        // and a run without them has no session event at all.
        Simulator plain = new Simulator(SimConfig.defaults(3));
        Simulator sessions = new Simulator(withSessions(3, SimConfig.Sessions.defaults()));
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(plain.schedule(seed), sessions.schedule(seed), "seed " + seed);
        }
        SimResult r = plain.run(plain.schedule(3), true);
        assertTrue(!r.trace().contains("session"), "a plain run has no sessions");
    }
}
