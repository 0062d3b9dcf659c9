package io.raftkv.sim;

import io.raftkv.core.RaftOptions.UnsafeMutation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the checker bites: with each deliberate safety bug switched on in RaftNode, the simulator must find a
 * violation within a bounded number of seeds ({@code -Dsim.mutation.seeds}, default 3000; in practice a few
 * hundred at most), and the shrunk schedule must still fail and replay identically.
 */
class MutationTest {

    static Stream<Arguments> mutations() {
        return Stream.of(
                // §5.2: a voter that votes twice lets two candidates win one term.
                Arguments.of(UnsafeMutation.VOTE_TWICE_PER_TERM, 3, Set.of(Invariant.ELECTION_SAFETY)),
                Arguments.of(UnsafeMutation.VOTE_TWICE_PER_TERM, 5, Set.of(Invariant.ELECTION_SAFETY)),
                // §5.4.1: a stale candidate wins and lacks committed entries.
                Arguments.of(UnsafeMutation.SKIP_VOTE_LOG_UP_TO_DATE_CHECK, 3, completeness()),
                Arguments.of(UnsafeMutation.SKIP_VOTE_LOG_UP_TO_DATE_CHECK, 5, completeness()),
                // §5.4.2, Figure 8: an entry of an earlier term "committed" by counting is overwritten later.
                Arguments.of(UnsafeMutation.COMMIT_PREVIOUS_TERM_ENTRIES_BY_COUNTING, 3, completeness()),
                Arguments.of(UnsafeMutation.COMMIT_PREVIOUS_TERM_ENTRIES_BY_COUNTING, 5, completeness()),
                // A follower's batch delivered twice and appended twice: a client's command takes effect twice.
                Arguments.of(UnsafeMutation.APPEND_DUPLICATE_FORWARDS, 3, Set.of(Invariant.FORWARDING)),
                Arguments.of(UnsafeMutation.APPEND_DUPLICATE_FORWARDS, 5, Set.of(Invariant.FORWARDING)),
                // Thesis §6.4: a read index handed out without a heartbeat round, by a leader that may be deposed.
                Arguments.of(UnsafeMutation.CONFIRM_READS_WITHOUT_QUORUM, 3, Set.of(Invariant.LINEARIZABLE_READ)),
                Arguments.of(UnsafeMutation.CONFIRM_READS_WITHOUT_QUORUM, 5, Set.of(Invariant.LINEARIZABLE_READ)),
                // §6: C_old,new "committed" by C_new's majority alone; the rest of C_old, which never saw it, elects a
                // leader without it (or, once both sides moved on, in the same term as C_new's leader).
                Arguments.of(UnsafeMutation.COUNT_ONLY_NEW_MAJORITY_WHILE_JOINT, 3, jointSplit()),
                Arguments.of(UnsafeMutation.COUNT_ONLY_NEW_MAJORITY_WHILE_JOINT, 5, jointSplit()));
    }

    private static Set<Invariant> jointSplit() {
        return Set.of(Invariant.LEADER_COMPLETENESS, Invariant.STATE_MACHINE_SAFETY, Invariant.LOG_MATCHING,
                Invariant.ELECTION_SAFETY);
    }

    private static Set<Invariant> completeness() {
        return Set.of(Invariant.LEADER_COMPLETENESS, Invariant.STATE_MACHINE_SAFETY, Invariant.LOG_MATCHING);
    }

    @ParameterizedTest(name = "{0} on {1} nodes")
    @MethodSource("mutations")
    void checkerFindsTheMutation(UnsafeMutation mutation, int nodes, Set<Invariant> expected) {
        Simulator sim = new Simulator(SimConfig.defaults(nodes).withMutation(mutation));
        long bound = Long.getLong("sim.mutation.seeds", 3000);
        Simulator.Summary s = sim.runSeeds(0, bound);
        assertNotNull(s.failure(), mutation + " went unnoticed for " + bound + " seeds on " + nodes + " nodes");
        InvariantViolation v = s.failure().violation();
        assertTrue(expected.contains(v.invariant()), "unexpected violation for " + mutation + ": " + v.getMessage());

        Simulator.Failure f = sim.explain(s.failure(), 200);
        assertTrue(f.shrunk().failed(), "the shrunk schedule must fail when replayed with tracing:\n" + f.report());
        assertEquals(v.invariant(), f.shrunk().violation().invariant());
        assertTrue(f.shrunk().schedule().faults().size() <= s.failure().schedule().faults().size());
        String report = f.report();
        assertTrue(report.contains("seed=" + s.failure().schedule().seed()), report);
        assertTrue(report.contains("VIOLATION"), report);
        System.out.println(mutation + " on " + nodes + " nodes: found at seed " + s.failure().schedule().seed()
                + " after " + s.schedules() + " schedules; shrunk from " + s.failure().schedule().faults().size()
                + " to " + f.shrunk().schedule().faults().size() + " faults: " + v.getMessage());
    }
}
