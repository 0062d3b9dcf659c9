package io.raftkv.core.server;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.ForwardingLogStore;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.LogStore;
import io.raftkv.core.storage.StableStore;
import io.raftkv.core.transport.MessageHandler;
import io.raftkv.core.transport.Transport;
import io.raftkv.core.cluster.Member;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A shared, ordered record of what the driver did to storage and network, with wrappers that write to it. Tests
 * assert the order of the Ready steps on it. Optionally the log's sync can be held at a gate, to let work pile up
 * during an fsync (group commit, overload, shutdown during an fsync).
 */
final class Journal {
    private final List<String> events = new ArrayList<>();

    synchronized void add(String event) {
        events.add(event);
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** Index of the first event starting with {@code prefix}, or -1. */
    synchronized int first(String prefix) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    synchronized long count(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).count();
    }

    /** A log store that records appends and syncs; syncs can be held at a gate. */
    final class Log extends ForwardingLogStore {
        final InMemoryLogStore delegate;
        /** While non-null, syncs wait for it. */
        private volatile CountDownLatch gate;
        private final Semaphore syncEntered = new Semaphore(0);
        private final List<Integer> appendSizes = new ArrayList<>();
        private volatile long syncedIndex;
        private volatile IOException syncFailure;
        /** Simulated fsync cost (benchmarks). */
        volatile long syncDelayNanos;
        private volatile boolean closed;

        Log(InMemoryLogStore delegate) {
            super(delegate);
            this.delegate = delegate;
            this.syncedIndex = delegate.lastIndex();
        }

        /** From now on every sync waits for {@link #release()}. */
        void holdSyncs() {
            gate = new CountDownLatch(1);
        }

        /** Lets held syncs (and all later ones) through. */
        void releaseSyncs() {
            CountDownLatch g = gate;
            gate = null;
            if (g != null) {
                g.countDown();
            }
        }

        /** Waits until a sync has been entered (and is perhaps held). */
        boolean awaitSyncEntered(long timeoutMs) throws InterruptedException {
            return syncEntered.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS);
        }

        /** Every later sync throws {@code e} (a failing disk). */
        void failSyncsWith(IOException e) {
            syncFailure = e;
        }

        synchronized List<Integer> appendSizes() {
            return List.copyOf(appendSizes);
        }

        long syncedIndex() {
            return syncedIndex;
        }

        boolean closed() {
            return closed;
        }

        @Override
        public void append(List<LogEntry> entries) {
            synchronized (this) {
                appendSizes.add(entries.size());
            }
            add("append:" + entries.get(0).index() + "-" + entries.get(entries.size() - 1).index());
            delegate.append(entries);
        }

        @Override
        public void sync() throws IOException {
            syncEntered.release();
            if (syncFailure != null) {
                throw syncFailure;
            }
            if (syncDelayNanos > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(syncDelayNanos);
            }
            CountDownLatch g = gate;
            try {
                if (g != null && !g.await(20, TimeUnit.SECONDS)) {
                    throw new IOException("test never released the sync gate");
                }
            } catch (InterruptedException e) {
                throw new IOException("interrupted in sync", e);
            }
            delegate.sync();
            syncedIndex = delegate.lastIndex();
            add("sync:" + syncedIndex);
        }

        @Override
        public void truncateSuffix(long fromIndex) {
            add("truncate:" + fromIndex);
            delegate.truncateSuffix(fromIndex);
        }

        @Override
        public void close() {
            closed = true;
            add("close:log");
        }
    }

    /** A stable store that records saves. */
    final class Stable implements StableStore {
        final InMemoryStableStore delegate;
        volatile HardState saved;

        Stable(InMemoryStableStore delegate) {
            this.delegate = delegate;
            this.saved = delegate.load();
        }

        @Override
        public HardState load() {
            return delegate.load();
        }

        @Override
        public void save(HardState state) {
            delegate.save(state);
            saved = state;
            add("hardstate:" + state.currentTerm() + ":" + state.votedFor());
        }
    }

    /** A transport that records sends (and optionally forwards them) and lets tests inject inbound messages. */
    final class Net implements Transport {
        private final Transport delegate;
        volatile MessageHandler handler;

        Net(Transport delegate) {
            this.delegate = delegate;
        }

        @Override
        public void start(MessageHandler h) throws Exception {
            this.handler = h;
            if (delegate != null) {
                delegate.start(h);
            }
        }

        @Override
        public void updatePeers(Collection<Member> peers) {
            if (delegate != null) {
                delegate.updatePeers(peers);
            }
        }

        @Override
        public void send(RaftMessage m) {
            add("send:" + m.getClass().getSimpleName() + ":" + m.to());
            if (delegate != null) {
                delegate.send(m);
            }
        }

        @Override
        public boolean isReachable(String peerId) {
            return delegate == null || delegate.isReachable(peerId);
        }

        @Override
        public void close() {
            add("close:transport");
            if (delegate != null) {
                delegate.close();
            }
        }

        void inject(RaftMessage m) {
            handler.onMessage(m);
        }
    }
}
