package io.raftkv.sim;

import java.util.Set;

/**
 * Seeds that fail because of a known RaftNode bug, reported in raft-sim/BUGS.md.
 * They are skipped by {@link SeededSchedulesTest} until the bug is fixed; remove them then. Empty means no known
 * bug: every seed must pass.
 */
final class KnownFailures {

    /**
     * "nodes:seed" entries. RAFTNODE BUG (BUGS.md, "a removed leader that stepped down never campaigns"): a
     * two-voter configuration {A, B} whose leader A removes itself; A steps down (check quorum) before the
     * change commits, and since it is not a voter of its latest configuration it never campaigns again, while B
     * (which lacks the entry) cannot win A's vote. Thesis §4.2.2 asks A to keep starting elections until the
     * change commits. All liveness failures of 3-node membership schedules (none among 5-node seeds 0..9999 with
     * the current generator; earlier generator versions hit it there too, once the configuration had shrunk to
     * two voters).
     */
    private static final Set<String> KNOWN = Set.of("3:163", "3:203", "3:289");

    private KnownFailures() {
    }

    static boolean isKnown(int nodes, long seed) {
        return KNOWN.contains(nodes + ":" + seed);
    }
}
