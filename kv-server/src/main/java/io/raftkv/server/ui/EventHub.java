package io.raftkv.server.ui;

import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.trace.TraceRecord;
import io.raftkv.core.trace.TraceSink;

import java.time.Clock;
import java.util.Arrays;

/**
 * The {@link TraceSink} of one server: stamps each event with the wall clock and the server's id and offers it to
 * every {@link EventSubscriber}'s bounded queue. It never blocks and never waits for a subscriber: one that falls
 * a whole queue behind is cut off (its stream ends; the browser reconnects and starts again from a fresh
 * {@link TraceEvent.View}).
 *
 * <p>With no subscriber it is {@linkplain #enabled() disabled} and the server builds no event at all. Subscribing
 * asks the raft thread for a {@link TraceEvent.View} of the server's state, which every subscriber then receives.
 */
public final class EventHub implements TraceSink {
    private static final EventSubscriber[] NONE = new EventSubscriber[0];

    private final String nodeId;
    private final Clock clock;
    /** Copy on write: the raft thread reads it once per event without a lock. */
    private volatile EventSubscriber[] subscribers = NONE;
    private volatile boolean viewWanted;
    private final int maxSubscribers;

    public EventHub(String nodeId, Clock clock, int maxSubscribers) {
        this.nodeId = nodeId;
        this.clock = clock;
        this.maxSubscribers = maxSubscribers;
    }

    public String nodeId() {
        return nodeId;
    }

    @Override
    public boolean enabled() {
        return subscribers.length != 0;
    }

    @Override
    public boolean viewWanted() {
        return viewWanted;
    }

    @Override
    public void emit(TraceEvent event) {
        EventSubscriber[] now = subscribers;
        if (now.length == 0) {
            return; // the last subscriber left between the caller's enabled() and here
        }
        if (event instanceof TraceEvent.View) {
            viewWanted = false;
        }
        TraceRecord r = new TraceRecord(clock.millis(), nodeId, event);
        for (EventSubscriber s : now) {
            if (!s.offer(r)) {
                remove(s); // a whole queue behind: cut off, never waited for
            }
        }
    }

    /**
     * Registers {@code s} and asks for a view of the server for it; false if {@code maxSubscribers} are already
     * subscribed.
     */
    public synchronized boolean add(EventSubscriber s) {
        if (subscribers.length >= maxSubscribers) {
            return false;
        }
        EventSubscriber[] next = Arrays.copyOf(subscribers, subscribers.length + 1);
        next[next.length - 1] = s;
        viewWanted = true;
        subscribers = next;
        return true;
    }

    public synchronized void remove(EventSubscriber s) {
        EventSubscriber[] now = subscribers;
        int at = Arrays.asList(now).indexOf(s);
        if (at < 0) {
            return;
        }
        EventSubscriber[] next = new EventSubscriber[now.length - 1];
        System.arraycopy(now, 0, next, 0, at);
        System.arraycopy(now, at + 1, next, at, now.length - at - 1);
        subscribers = next;
    }

    public int subscriberCount() {
        return subscribers.length;
    }
}
