package io.raftkv.sim;

import io.raftkv.core.statemachine.StateMachine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One run's side of a {@link Workload}: draws its commands and queries from the workload's own random stream,
 * tallies results, and checks that nodes at the same applied index answer the digest query alike.
 */
final class WorkloadRun {
    private record Digest(String node, byte[] answer) {
    }

    private final Simulation sim;
    private final Workload workload;
    private final SplittableRandom random;
    private final byte[] digestQuery;
    private final WorkloadTally tally = new WorkloadTally();
    /** Indexes whose result was tallied (each once, whichever node applied it first). */
    private final Set<Long> tallied = new HashSet<>();
    /** The first digest seen at each applied index. Looked up only, never iterated. */
    private final Map<Long, Digest> digests = new HashMap<>();

    WorkloadRun(Simulation sim, Workload workload, SplittableRandom random) {
        this.sim = sim;
        this.workload = workload;
        this.random = random;
        this.digestQuery = workload.digestQuery();
    }

    WorkloadTally tally() {
        return tally;
    }

    byte[] nextCommand() {
        return workload.command(random);
    }

    String describe(byte[] command) {
        return workload.describe(command);
    }

    /** A node applied a command: tally it once per index, compare the digest at the cadence. */
    void onApplied(SimNode node, long index, byte[] command, byte[] result) {
        if (tallied.add(index)) {
            tally.applied(workload.commandKind(command, result));
        }
        if (index % workload.digestEvery() == 0) {
            checkDigest(node, index, "after applying");
        }
    }

    /** A read was served on {@code node}: run the next query on its state machine. */
    void onRead(SimNode node) {
        byte[] q = workload.query(random);
        if (q == null) {
            return;
        }
        byte[] answer = node.stateMachine().query(q);
        tally.answered(workload.queryKind(q, answer));
    }

    /**
     * The digest of {@code node}'s state machine at {@code index}: equal to every other node's at that index, or a
     * State Machine Safety violation (§5.4.3).
     */
    void checkDigest(SimNode node, long index, String when) {
        if (digestQuery == null) {
            return;
        }
        StateMachine sm = node.stateMachine();
        if (sm == null) {
            return;
        }
        byte[] answer = sm.query(digestQuery.clone());
        Digest first = digests.putIfAbsent(index, new Digest(node.id, answer));
        if (first == null) {
            return;
        }
        tally.digestCompared();
        if (!Arrays.equals(first.answer(), answer)) {
            throw sim.violation(Invariant.STATE_MACHINE_SAFETY, node.id + "'s state " + when + " index " + index
                    + " differs from " + first.node() + "'s at that index: digest " + preview(answer) + " vs "
                    + preview(first.answer()));
        }
    }

    private static String preview(byte[] b) {
        return HexFormat.of().formatHex(b, 0, Math.min(b.length, 16)) + (b.length > 16 ? "…" : "");
    }
}
