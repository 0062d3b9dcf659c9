package io.raftkv.server.ui;

import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub between the raft thread and the streams: free when unwatched, never waiting for a subscriber. */
class EventHubTest {

    @Test
    void disabledWithoutSubscribersAndAsksForAViewForEachNewOne() {
        EventHub hub = new EventHub("n1", Clock.systemUTC(), 4);
        assertFalse(hub.enabled());
        assertFalse(hub.viewWanted());
        EventSubscriber s = new EventSubscriber(10, true);
        assertTrue(hub.add(s));
        assertTrue(hub.enabled());
        assertTrue(hub.viewWanted(), "a new subscriber needs the whole state first");
        hub.emit(new TraceEvent.View(null, 1, null, null, 0, 0, 0, 0, List.of(), List.of()));
        assertFalse(hub.viewWanted(), "asked once, answered once");
        hub.emit(new TraceEvent.Commit(3));
        List<TraceRecord> got = s.drain();
        assertEquals(2, got.size());
        assertEquals("n1", got.get(1).node());
        hub.remove(s);
        assertFalse(hub.enabled());
    }

    @Test
    void atMostMaxSubscribers() {
        EventHub hub = new EventHub("n1", Clock.systemUTC(), 2);
        assertTrue(hub.add(new EventSubscriber(1, true)));
        assertTrue(hub.add(new EventSubscriber(1, true)));
        assertFalse(hub.add(new EventSubscriber(1, true)));
        assertEquals(2, hub.subscriberCount());
    }

    /**
     * A subscriber that never drains is cut off when its queue is full; the emitting thread never waits for it,
     * and the other subscriber goes on receiving everything.
     */
    @Test
    @Timeout(10)
    void aStuckSubscriberIsCutOffAndNeverSlowsTheEmitter() {
        EventHub hub = new EventHub("n1", Clock.systemUTC(), 4);
        EventSubscriber stuck = new EventSubscriber(1000, true);
        EventSubscriber reader = new EventSubscriber(1_000_000, true);
        hub.add(stuck);
        hub.add(reader);
        int events = 500_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < events; i++) {
            hub.emit(new TraceEvent.Commit(i));
        }
        long micros = (System.nanoTime() - t0) / 1000;
        assertTrue(stuck.overflowed());
        assertEquals(1000, stuck.queued(), "bounded: nothing beyond its capacity was kept");
        assertEquals(1, hub.subscriberCount(), "the stuck subscriber left the hub");
        assertEquals(events, reader.drain().size());
        // Generous bound for a loaded 2-core machine: the point is that no call blocked (a blocked one never returns).
        assertTrue(micros < 8_000_000, "emitting took " + micros + " µs");
        System.out.printf("emit to one subscriber: %.3f µs per event%n", micros / (double) events);
    }

    @Test
    void messageEventsCanBeLeftOut() {
        EventHub hub = new EventHub("n1", Clock.systemUTC(), 4);
        EventSubscriber s = new EventSubscriber(10, false);
        hub.add(s);
        hub.emit(new TraceEvent.Message(TraceEvent.Direction.SEND,
                new AppendEntriesResponse("n1", "n2", 1, true, 1, 0, 0, 0, 1, 1), null, 0));
        hub.emit(new TraceEvent.Commit(1));
        List<TraceRecord> got = s.drain();
        assertEquals(1, got.size());
        assertTrue(got.get(0).event() instanceof TraceEvent.Commit);
    }

    @Test
    void aBusyIntervalIsCoalescedAQuietOneIsNot() {
        EventCoalescer coalescer = new EventCoalescer(10);
        List<TraceRecord> quiet = List.of(rec(new TraceEvent.Commit(1)), rec(new TraceEvent.Commit(2)));
        assertEquals(quiet, coalescer.coalesce(quiet));

        List<TraceRecord> busy = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            busy.add(rec(new TraceEvent.Message(TraceEvent.Direction.SEND, new AppendEntriesRequest("n1", "n2", 2,
                    i - 1, 2, List.of(LogEntry.noop(i, 2)), i - 1, i), null, 0)));
            busy.add(rec(new TraceEvent.Append(i, i, 2)));
            busy.add(rec(new TraceEvent.Commit(i)));
            if (i == 20) {
                busy.add(rec(new TraceEvent.State(io.raftkv.core.Role.FOLLOWER, 3, null))); // a barrier
            }
        }
        List<TraceRecord> out = coalescer.coalesce(busy);
        TraceEvent.Messages sends = (TraceEvent.Messages) out.get(0).event();
        assertEquals(40, sends.count());
        assertEquals(1, sends.first());
        assertEquals(40, sends.last());
        List<TraceEvent> rest = out.stream().map(TraceRecord::event).filter(e -> !(e instanceof TraceEvent.Messages))
                .toList();
        assertEquals(List.of(new TraceEvent.Append(1, 20, 2), new TraceEvent.Commit(20),
                new TraceEvent.State(io.raftkv.core.Role.FOLLOWER, 3, null), new TraceEvent.Append(21, 40, 2),
                new TraceEvent.Commit(40)), rest, "merged within, never across, the state change");
    }

    private static TraceRecord rec(TraceEvent e) {
        return new TraceRecord(1, "n1", e);
    }
}
