package io.raftkv.core.progress;

import java.util.ArrayDeque;

/**
 * The AppendEntries messages sent to one follower and not yet acknowledged, bounded by count and bytes.
 * Pipelining keeps up to that many in flight; when full, the leader waits for acknowledgements (flow control).
 */
public final class Inflights {
    private record Flight(long lastIndex, long bytes) {
    }

    private final int maxCount;
    private final long maxBytes;
    private final ArrayDeque<Flight> flights = new ArrayDeque<>();
    private long bytes;

    public Inflights(int maxCount, long maxBytes) {
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
    }

    public void add(long lastIndex, long size) {
        flights.addLast(new Flight(lastIndex, size));
        bytes += size;
    }

    /** Frees every flight whose last index is at or below {@code index} (they were acknowledged). */
    public void freeTo(long index) {
        while (!flights.isEmpty() && flights.peekFirst().lastIndex() <= index) {
            bytes -= flights.pollFirst().bytes();
        }
    }

    public boolean full() {
        return flights.size() >= maxCount || bytes >= maxBytes;
    }

    public int count() {
        return flights.size();
    }

    public long bytes() {
        return bytes;
    }

    public void reset() {
        flights.clear();
        bytes = 0;
    }
}
