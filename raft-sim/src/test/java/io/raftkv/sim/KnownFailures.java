package io.raftkv.sim;

import java.util.Set;

/**
 * Seeds that fail because of a known RaftNode bug, reported in raft-sim/BUGS.md.
 * They are skipped by {@link SeededSchedulesTest} until the bug is fixed; remove them then. Empty means no known
 * bug: every seed must pass.
 */
final class KnownFailures {

    /** "nodes:seed" entries; none since the removed-leader bug (BUGS.md #1) was fixed in raft-core. */
    private static final Set<String> KNOWN = Set.of();

    private KnownFailures() {
    }

    static boolean isKnown(int nodes, long seed) {
        return KNOWN.contains(nodes + ":" + seed);
    }
}
