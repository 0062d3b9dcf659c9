package io.raftkv.log;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-memory index of the log: the segments in cycle order, and the ones that hold live entries keyed by
 * their first index. Live ranges are disjoint and ascend with the cycle, so finding an index is one
 * {@link TreeMap#floorEntry} over a handful of segments.
 */
final class SegmentIndex {
    private final List<Segment> segments = new ArrayList<>();
    private final TreeMap<Long, Segment> liveByFirstIndex = new TreeMap<>();

    void add(Segment segment) {
        if (!segments.isEmpty() && segments.get(segments.size() - 1).cycle >= segment.cycle) {
            throw new IllegalStateException("segments out of order: " + segment + " after " + last());
        }
        segments.add(segment);
        reindex(segment);
    }

    /** Call after a segment's live count changed. */
    void reindex(Segment segment) {
        liveByFirstIndex.values().remove(segment);
        if (segment.liveCount > 0) {
            liveByFirstIndex.put(segment.firstIndex(), segment);
        }
    }

    /** The segment holding live entry {@code index}, or null. */
    Segment find(long index) {
        Map.Entry<Long, Segment> e = liveByFirstIndex.floorEntry(index);
        return e != null && e.getValue().contains(index) ? e.getValue() : null;
    }

    /** Every segment drops its live entries after {@code lastKept}. */
    void clampTo(long lastKept) {
        for (Segment s : segments) {
            if (s.lastIndex() > lastKept) {
                s.clampTo(lastKept);
                reindex(s);
            }
        }
    }

    Segment last() {
        return segments.isEmpty() ? null : segments.get(segments.size() - 1);
    }

    Segment first() {
        return segments.isEmpty() ? null : segments.get(0);
    }

    void removeFirst() {
        Segment s = segments.remove(0);
        liveByFirstIndex.values().remove(s);
    }

    /** Smallest live index, or {@code fallback} if no segment holds a live entry. */
    long firstLiveIndex(long fallback) {
        return liveByFirstIndex.isEmpty() ? fallback : liveByFirstIndex.firstKey();
    }

    int size() {
        return segments.size();
    }

    List<Segment> all() {
        return Collections.unmodifiableList(segments);
    }
}
