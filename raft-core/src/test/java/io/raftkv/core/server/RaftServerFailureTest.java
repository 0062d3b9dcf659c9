package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import io.raftkv.core.cluster.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.raftkv.core.server.RaftServerDriverTest.cause;
import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static io.raftkv.core.server.RegisterStateMachine.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the driver does when storage or the state machine fails, on restart from a snapshot, and under a flood. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RaftServerFailureTest {

    private final Journal journal = new Journal();
    private final Journal.Log log = journal.new Log(new InMemoryLogStore());
    private final Journal.Net net = journal.new Net(null);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private RaftServer server;

    private RaftServer start(StateMachine sm, SnapshotStore snapshots, RaftServerOptions options) throws Exception {
        server = RaftServer.builder("n1")
                .serverOptions(options)
                .logStore(log)
                .stableStore(journal.new Stable(new InMemoryStableStore()))
                .snapshotStore(snapshots)
                .stateMachine(sm)
                .transport(net)
                .meterRegistry(registry)
                .coreFactory(init -> new ScriptedCore(init.id(), journal))
                // Held syncs here test the driver's order, not stall detection (RaftServerDiskTest does that).
                .disk(DiskOptions.none().withStallTimeout(Duration.ofMinutes(1)))
                .build();
        server.start();
        return server;
    }

    private RaftServer start(StateMachine sm) throws Exception {
        return start(sm, new InMemorySnapshotStore(), RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(5)));
    }

    @AfterEach
    void stop() {
        log.releaseSyncs();
        if (server != null) {
            server.close();
        }
        ServerTestSupport.assertNoThreadsOf("n1");
    }

    @Test
    void stateMachineThrows_serverStops_pendingAndLaterCallsFailWithTheCause() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        RegisterStateMachine register = new RegisterStateMachine();
        StateMachine failing = new ForwardingStateMachine(register) {
            @Override
            public byte[] apply(long index, byte[] command) {
                if (string(command).equals("boom")) {
                    throw boom;
                }
                return super.apply(index, command);
            }
        };
        start(failing);
        assertEquals("1:1", string(server.propose(bytes("ok")).get(5, TimeUnit.SECONDS)));
        Throwable t = cause(server.propose(bytes("boom")));
        // The entry is committed, so the cluster will apply it; this server only cannot say with what result.
        OutcomeUnknownException unknown = assertInstanceOf(OutcomeUnknownException.class, t);
        assertSame(boom, unknown.getCause());
        ServerTestSupport.await(() -> !server.status().running(), 5000, "server stopped");
        assertSame(boom, server.failure().orElseThrow());
        ShutdownException after = assertInstanceOf(ShutdownException.class, cause(server.propose(bytes("later"))));
        assertSame(boom, after.getCause());
        assertEquals(List.of("ok"), register.values(), "nothing applied after the failure");
    }

    @Test
    void stateMachineThrows_readsQueuedBehindTheFailingEntry_failInsteadOfHanging() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        java.util.concurrent.CountDownLatch applying = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        StateMachine failing = new ForwardingStateMachine(new RegisterStateMachine()) {
            @Override
            public byte[] apply(long index, byte[] command) {
                if (string(command).equals("boom")) {
                    applying.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw boom;
                }
                return super.apply(index, command);
            }
        };
        start(failing);
        CompletableFuture<byte[]> boomed = server.propose(bytes("boom"));
        assertTrue(applying.await(5, TimeUnit.SECONDS));
        // Both wait for the failing entry to be applied: one queued while the apply thread is stuck in it, the
        // others handed over from the raft thread afterwards.
        List<CompletableFuture<byte[]>> reads = new java.util.ArrayList<>();
        reads.add(server.read(bytes("q"), ReadLevel.LINEARIZABLE));
        reads.add(server.read(bytes("q"), ReadLevel.LEASE));
        Thread.sleep(50);
        release.countDown();
        assertInstanceOf(OutcomeUnknownException.class, cause(boomed));
        ServerTestSupport.await(() -> !server.status().running(), 5000, "server stopped");
        for (CompletableFuture<byte[]> read : reads) {
            try {
                read.get(5, TimeUnit.SECONDS);
                throw new AssertionError("a read at an index never applied must not succeed");
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause() instanceof RaftException,
                        "fails with the shutdown, got " + e.getCause());
            }
        }
    }

    @Test
    void logSyncFails_serverStopsWithoutAcknowledging_andTheProposalOutcomeIsUnknown() throws Exception {
        start(new RegisterStateMachine());
        server.propose(bytes("durable")).get(5, TimeUnit.SECONDS);
        IOException diskFull = new IOException("No space left on device");
        log.failSyncsWith(diskFull);
        Throwable t = cause(server.propose(bytes("lost")));
        // Its AppendEntries may already have left (parallel leader write): the followers might commit it.
        assertInstanceOf(OutcomeUnknownException.class, t);
        ServerTestSupport.await(() -> !server.status().running(), 5000, "server stopped");
        assertSame(diskFull, server.failure().orElseThrow());
        long acksAfterFailure = journal.events().stream()
                .filter(e -> e.startsWith("send:AppendEntriesResponse")).count();
        assertEquals(1, acksAfterFailure, "only the durable entry was acknowledged: " + journal.events());
    }

    @Test
    void start_restoresTheStateMachineFromTheNewestSnapshotWhenItIsBehind() throws Exception {
        RegisterStateMachine source = new RegisterStateMachine();
        source.apply(1, bytes("s1"));
        source.apply(2, bytes("s2"));
        InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
        try (SnapshotStore.Sink sink = snapshots.begin(new SnapshotMeta(2, 1, Configuration.ofVoterIds("n1", "n2")))) {
            sink.stream().write(RegisterStateMachine.snapshotBytes(source));
            sink.commit();
        }
        RegisterStateMachine fresh = new RegisterStateMachine();
        start(fresh, snapshots, RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(5)));
        assertEquals(List.of("s1", "s2"), fresh.values());
        assertEquals(2, fresh.lastAppliedIndex());
        ServerTestSupport.await(() -> server.status().lastSnapshotIndex() == 2, 5000, "snapshot index in status");
        assertEquals("s1,s2", string(server.read(bytes("q"), ReadLevel.STALE).get()));
    }

    @Test
    void start_refusesASnapshotThatIsListedButCannotBeOpened() {
        SnapshotStore broken = new SnapshotStore() {
            @Override
            public java.util.Optional<SnapshotMeta> latest() {
                return java.util.Optional.of(new SnapshotMeta(5, 1, Configuration.ofVoterIds("n1")));
            }

            @Override
            public java.util.Optional<Source> openLatest() {
                return java.util.Optional.empty();
            }

            @Override
            public Sink begin(SnapshotMeta meta) {
                throw new UnsupportedOperationException();
            }
        };
        IOException e = assertThrows(IOException.class, () -> start(new RegisterStateMachine(), broken,
                RaftServerOptions.defaults()));
        assertTrue(e.getMessage().contains("cannot be opened"), e.getMessage());
        server = null; // never started: nothing to close
    }

    @Test
    void start_refusesALogThatWasCompactedPastTheNewestUsableSnapshot() throws Exception {
        // The newest snapshot (at 20) was corrupt, so the store offers the one at 10; the log was compacted to 20.
        InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
        RegisterStateMachine state = new RegisterStateMachine();
        state.apply(1, bytes("a"));
        try (SnapshotStore.Sink sink = snapshots.begin(new SnapshotMeta(10, 1, Configuration.ofVoterIds("n1")))) {
            sink.stream().write(RegisterStateMachine.snapshotBytes(state));
            sink.commit();
        }
        log.reset(20, 1);
        IOException e = assertThrows(IOException.class, () -> start(new RegisterStateMachine(), snapshots,
                RaftServerOptions.defaults()));
        assertTrue(e.getMessage().contains("entries 11..20 are missing"), e.getMessage());
        server = null; // never started: nothing to close
    }

    @Test
    void inboundFlood_beyondTheQueueBoundIsDropped_notQueued() throws Exception {
        start(new RegisterStateMachine(), new InMemorySnapshotStore(),
                RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(5)).withMaxQueuedMessages(10));
        log.holdSyncs();
        CompletableFuture<byte[]> f = server.propose(bytes("x"));
        assertTrue(log.awaitSyncEntered(5000)); // the raft thread is busy in an fsync
        for (int i = 0; i < 100; i++) {
            net.inject(new AppendEntriesRequest("n2", "n1", 1, 0, 0, List.of(), 0, i));
        }
        assertEquals(90.0, registry.get("raft.messages.dropped").counter().count());
        log.releaseSyncs();
        f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void closeCalledFromACallbackOnTheApplyThread_doesNotDeadlock() throws Exception {
        start(new RegisterStateMachine());
        CompletableFuture<Void> closed = server.propose(bytes("x")).thenRun(server::close);
        closed.get(5, TimeUnit.SECONDS);
        ServerTestSupport.await(() -> !server.status().running(), 5000, "server stopped");
    }

    /** Delegates everything; tests override what they break. */
    private static class ForwardingStateMachine implements StateMachine {
        private final StateMachine delegate;

        ForwardingStateMachine(StateMachine delegate) {
            this.delegate = delegate;
        }

        @Override
        public byte[] apply(long index, byte[] command) {
            return delegate.apply(index, command);
        }

        @Override
        public void skip(long index) {
            delegate.skip(index);
        }

        @Override
        public byte[] query(byte[] request) {
            return delegate.query(request);
        }

        @Override
        public long lastAppliedIndex() {
            return delegate.lastAppliedIndex();
        }

        @Override
        public Snapshot snapshot() {
            return delegate.snapshot();
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) throws IOException {
            delegate.restore(lastIncludedIndex, in);
        }
    }
}
