package io.raftkv.sim;

import java.util.Set;

/**
 * Seeds that fail because of a known, not yet fixed RaftNode bug (name the bug next to each). They are skipped by
 * {@link SeededSchedulesTest} until the bug is fixed; remove them then. Empty means no known bug: every seed must
 * pass.
 */
final class KnownFailures {

    /** "nodes:seed" entries. */
    private static final Set<String> KNOWN = Set.of();

    private KnownFailures() {
    }

    static boolean isKnown(int nodes, long seed) {
        return KNOWN.contains(nodes + ":" + seed);
    }
}
