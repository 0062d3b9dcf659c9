package io.raftkv.core;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The leader's memory of the forwarded batches it appended in its term, so that a batch delivered twice (the
 * transport contract allows duplicates) is appended once and answered again with the same placement: a client's
 * command must never enter the log twice because of the way it travelled.
 *
 * <p>Bounded: the newest {@link #REMEMBERED_PER_FOLLOWER} batches of each follower. A follower sends at most one
 * batch per loop turn, so that spans seconds of traffic; a duplicate delayed longer than that would be appended
 * again. The Netty transport never duplicates a message (one TCP connection, no resends), and the simulator's
 * duplicates arrive within a few ticks. A new term starts with an empty memory: a batch addressed to an earlier
 * term is refused by the term check (§5.1) before it gets here.
 */
final class ForwardedBatches {
    static final int REMEMBERED_PER_FOLLOWER = 4096;

    /** Where a batch went. */
    record Placement(long firstIndex, int count) {
    }

    private static final class Recent extends LinkedHashMap<Long, Placement> {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Placement> eldest) {
            return size() > REMEMBERED_PER_FOLLOWER;
        }
    }

    private final Map<String, Recent> byFollower = new HashMap<>();

    /** The placement of a batch already appended, or null. */
    Placement lookup(String follower, long batchId) {
        Recent seen = byFollower.get(follower);
        return seen == null ? null : seen.get(batchId);
    }

    void remember(String follower, long batchId, Placement placement) {
        byFollower.computeIfAbsent(follower, f -> new Recent()).put(batchId, placement);
    }
}
