package io.raftkv.server.ui;

import io.raftkv.core.trace.TraceRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One subscriber's queue of events: filled by the server's threads through {@link EventHub#emit} (lock-free, never
 * waiting), drained by the subscriber's own writer. Bounded: the offer that would exceed {@code capacity} fails,
 * marks the subscriber {@linkplain #overflowed() overflowed} and the hub drops it.
 */
public final class EventSubscriber {
    private final ConcurrentLinkedQueue<TraceRecord> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    private final boolean messages;
    private volatile boolean overflowed;

    /**
     * @param capacity how many events may wait for the writer
     * @param messages whether message events (send, recv, drop) are wanted
     */
    public EventSubscriber(int capacity, boolean messages) {
        this.capacity = capacity;
        this.messages = messages;
    }

    /** Any thread. False if the queue is full: the subscriber is then overflowed for good. */
    boolean offer(TraceRecord r) {
        if (overflowed) {
            return false;
        }
        if (!messages && EventCoalescer.isMessage(r.event())) {
            return true;
        }
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            overflowed = true;
            return false;
        }
        queue.add(r);
        return true;
    }

    /** The writer: everything queued so far, oldest first. */
    public List<TraceRecord> drain() {
        List<TraceRecord> out = new ArrayList<>(Math.min(size.get(), 4096));
        TraceRecord r;
        while ((r = queue.poll()) != null) {
            size.decrementAndGet();
            out.add(r);
        }
        return out;
    }

    /** True once an offer found the queue full: the stream must end. */
    public boolean overflowed() {
        return overflowed;
    }

    public int queued() {
        return size.get();
    }

    public int capacity() {
        return capacity;
    }
}
