package io.raftkv.sim;

import java.util.PriorityQueue;

/**
 * Pending events ordered by (time, sequence number): two events at the same time run in the order they were
 * scheduled, so a run depends on nothing but its seed.
 */
final class EventQueue {

    record Scheduled(long time, long seq, SimEvent event) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private long nextSeq;

    void schedule(long time, SimEvent event) {
        queue.add(new Scheduled(time, nextSeq++, event));
    }

    /** The earliest event, or null if none is left. */
    Scheduled poll() {
        return queue.poll();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }
}
