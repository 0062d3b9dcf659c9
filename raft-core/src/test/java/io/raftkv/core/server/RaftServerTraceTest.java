package io.raftkv.core.server;

import io.raftkv.core.Role;
import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.trace.TraceSink;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a running RaftServer reports to its trace sink, and that it reports nothing while nobody listens. */
class RaftServerTraceTest {

    /** Counts how often it was asked, and fails the test if it is ever handed an event. */
    static final class Unwatched implements TraceSink {
        final AtomicLong asked = new AtomicLong();
        final List<TraceEvent> handed = new CopyOnWriteArrayList<>();

        @Override
        public boolean enabled() {
            asked.incrementAndGet();
            return false;
        }

        @Override
        public void emit(TraceEvent event) {
            handed.add(event);
        }
    }

    static final class Watched implements TraceSink {
        final List<TraceEvent> events = new CopyOnWriteArrayList<>();
        volatile boolean viewWanted = true;

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public boolean viewWanted() {
            return viewWanted;
        }

        @Override
        public void emit(TraceEvent event) {
            if (event instanceof TraceEvent.View) {
                viewWanted = false;
            }
            events.add(event);
        }

        <T extends TraceEvent> List<T> of(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    /** Gives every server of {@code c} its own sink, starts them all, and returns the sinks by server id. */
    private static <S extends TraceSink> java.util.Map<String, S> startWatched(LocalCluster c,
            java.util.function.Supplier<S> sink) throws Exception {
        java.util.Map<String, S> sinks = new java.util.HashMap<>();
        for (String id : c.ids) {
            sinks.put(id, sink.get());
            c.traceSinks.put(id, sinks.get(id));
        }
        c.startAll();
        return sinks;
    }

    @Test
    void withNobodyListeningNoEventIsBuilt() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 11)) {
            java.util.Map<String, Unwatched> sinks = startWatched(c, Unwatched::new);
            RaftServer leader = c.awaitLeader();
            for (int i = 0; i < 50; i++) {
                leader.propose(("v" + i).getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
            }
            for (Unwatched s : sinks.values()) {
                assertEquals(List.of(), s.handed, "an event was built although the sink was disabled");
                assertTrue(s.asked.get() > 0, "the hooks are in place and asked the sink");
            }
        }
    }

    @Test
    void aWatchedServerReportsItsElectionReplicationAndView() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 12)) {
            java.util.Map<String, Watched> sinks = startWatched(c, Watched::new);
            RaftServer leader = c.awaitLeader();
            byte[] result = leader.propose("x".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
            assertTrue(result != null);
            long index = leader.status().commitIndex();
            ServerTestSupport.await(() -> c.ids.stream().allMatch(id -> sinks.get(id).of(TraceEvent.Apply.class)
                    .stream().anyMatch(a -> a.index() >= index)), 5_000, "every server to report applying " + index);

            Watched l = sinks.get(leader.id());
            assertTrue(l.of(TraceEvent.State.class).stream().anyMatch(s -> s.role() == Role.LEADER), "became leader");
            assertTrue(l.of(TraceEvent.Persist.class).stream().anyMatch(p -> leader.id().equals(p.vote())),
                    "voted for itself, durably");
            assertTrue(l.of(TraceEvent.Append.class).stream().anyMatch(a -> a.to() >= index), "appended the command");
            assertTrue(l.of(TraceEvent.Commit.class).stream().anyMatch(x -> x.index() >= index), "committed it");
            assertTrue(l.of(TraceEvent.Message.class).stream().anyMatch(m -> m.direction() == TraceEvent.Direction.SEND),
                    "sent messages");
            assertTrue(l.of(TraceEvent.View.class).size() >= 1, "answered the request for a view");
            assertEquals("initial", l.of(TraceEvent.Config.class).get(0).change());
            long grants = c.ids.stream().filter(id -> !id.equals(leader.id()))
                    .flatMap(id -> sinks.get(id).of(TraceEvent.Vote.class).stream())
                    .filter(v -> v.granted() && !v.preVote() && v.candidate().equals(leader.id())).count();
            assertTrue(grants >= 1, "a follower reported granting the leader its vote");
            for (String id : c.ids) {
                if (!id.equals(leader.id())) {
                    assertTrue(sinks.get(id).of(TraceEvent.Message.class).stream()
                            .anyMatch(m -> m.direction() == TraceEvent.Direction.RECV), id + " received messages");
                }
            }
        }
    }
}
