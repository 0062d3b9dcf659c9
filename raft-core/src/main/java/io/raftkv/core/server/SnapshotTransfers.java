package io.raftkv.core.server;

import io.raftkv.core.Role;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import io.raftkv.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * InstallSnapshot (§7), the part outside the core: streaming the newest snapshot to followers whose next entries
 * were compacted, and receiving one from the leader. Raft thread only.
 *
 * <p><b>Sending.</b> One chunk ({@code snapshotChunkBytes}) per follower is in flight; each
 * {@link InstallSnapshotResponse} says which offset the follower expects next. A chunk left unanswered is sent
 * again from the last confirmed offset, and a follower that already has it answers with the offset it expects, so
 * a lost chunk or a lost answer costs one retransmission, not a restart. When the follower reports {@code done},
 * or after {@code snapshotTimeout} without any answer, the core is told ({@code reportSnapshot}); on failure the
 * core asks again later and the transfer starts again at offset 0, where the follower, if it still holds the partial
 * download of the same snapshot from the same leader and term, answers with the offset it expects: a transfer
 * resumes even after it was abandoned, it does not restart from zero.
 *
 * <p><b>Receiving.</b> Chunks are written, in order, into a {@link SnapshotStore.Sink}; a chunk at an unexpected
 * offset is not written and the answer names the offset expected. After the last chunk the sink is committed
 * (durable) and only then is the core told ({@code installSnapshot}) and the leader answered {@code done}.
 */
final class SnapshotTransfers {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotTransfers.class);
    private static final int MAX_RETRANSMITS = 3;

    private final String id;
    private final ConsensusCore core;
    private final Transport transport;
    private final SnapshotStore store;
    private final RaftMetrics metrics;
    private final int chunkBytes;
    private final long timeoutNanos;
    private final Consumer<SnapshotInfo> onInstalled;

    private final Map<String, Outgoing> outgoing = new HashMap<>();
    private Incoming incoming;

    private static final class Outgoing {
        final String peer;
        final SnapshotStore.Source source;
        final SnapshotMeta meta;
        long offset;
        /** Offset of the chunk sent last and not yet answered past; -1 before the first. */
        long inFlightOffset = -1;
        long lastActivityNanos;
        int retransmits;

        Outgoing(String peer, SnapshotStore.Source source) {
            this.peer = peer;
            this.source = source;
            this.meta = source.meta();
        }
    }

    private static final class Incoming {
        final String leader;
        final long term;
        final SnapshotMeta meta;
        final SnapshotStore.Sink sink;
        final long startNanos = System.nanoTime();
        long expectedOffset;

        Incoming(String leader, long term, SnapshotMeta meta, SnapshotStore.Sink sink) {
            this.leader = leader;
            this.term = term;
            this.meta = meta;
            this.sink = sink;
        }
    }

    SnapshotTransfers(String id, ConsensusCore core, Transport transport, SnapshotStore store, RaftMetrics metrics,
                      RaftServerOptions options) {
        this(id, core, transport, store, metrics, options, info -> { });
    }

    /** @param onInstalled told of every snapshot received and made durable here */
    SnapshotTransfers(String id, ConsensusCore core, Transport transport, SnapshotStore store, RaftMetrics metrics,
                      RaftServerOptions options, Consumer<SnapshotInfo> onInstalled) {
        this.onInstalled = onInstalled;
        this.id = id;
        this.core = core;
        this.transport = transport;
        this.store = store;
        this.metrics = metrics;
        this.chunkBytes = options.snapshotChunkBytes();
        this.timeoutNanos = options.snapshotTimeout().toNanos();
    }

    // ------------------------------------------------------------------------------------------- leader side

    /** The core named these followers in {@code Ready.snapshotsToSend}. */
    void send(List<String> peers) throws IOException {
        for (String peer : peers) {
            if (outgoing.containsKey(peer)) {
                continue; // already streaming to it
            }
            SnapshotStore.Source source = store.openLatest().orElse(null);
            if (source == null) {
                LOG.error("{}: {} needs a snapshot but the snapshot store has none", id, peer);
                core.reportSnapshot(peer, core.snapshotIndex(), false);
                continue;
            }
            Outgoing out = new Outgoing(peer, source);
            outgoing.put(peer, out);
            LOG.info("{}: sending snapshot at index {} ({} bytes) to {}", id, out.meta.lastIncludedIndex(),
                    source.size(), peer);
            sendChunk(out);
        }
    }

    /** A follower answered a chunk. Called after the core has seen the message (it may have stepped down). */
    void onResponse(InstallSnapshotResponse r) throws IOException {
        Outgoing out = outgoing.get(r.from());
        if (out == null || r.lastIncludedIndex() != out.meta.lastIncludedIndex() || r.term() != core.currentTerm()
                || core.role() != Role.LEADER) {
            return; // stale: an older transfer, or we are no longer its leader
        }
        if (r.done()) {
            finish(out, true);
            return;
        }
        long next = Math.max(0, Math.min(r.nextOffset(), out.source.size()));
        if (next == out.inFlightOffset) {
            // A second answer asking for the chunk already on its way (after a retransmission both the original and
            // the copy are answered): sending it again would double every later chunk. Loss is the timer's job.
            return;
        }
        out.offset = next;
        out.retransmits = 0;
        sendChunk(out);
    }

    private void sendChunk(Outgoing out) throws IOException {
        byte[] data;
        try (InputStream in = out.source.open(out.offset)) {
            data = in.readNBytes((int) Math.min(chunkBytes, out.source.size() - out.offset));
        }
        boolean done = out.offset + data.length >= out.source.size();
        transport.send(new InstallSnapshotRequest(id, out.peer, core.currentTerm(), out.meta.lastIncludedIndex(),
                out.meta.lastIncludedTerm(), out.meta.configuration(), out.offset, data, done));
        metrics.installSnapshotBytesSent.increment(data.length);
        out.inFlightOffset = out.offset;
        out.lastActivityNanos = System.nanoTime();
    }

    private void finish(Outgoing out, boolean success) {
        outgoing.remove(out.peer);
        closeQuietly(out.source);
        core.reportSnapshot(out.peer, out.meta.lastIncludedIndex(), success);
        if (success) {
            LOG.info("{}: {} installed the snapshot at index {}", id, out.peer, out.meta.lastIncludedIndex());
        } else {
            LOG.warn("{}: snapshot transfer to {} abandoned; it will be retried", id, out.peer);
        }
    }

    /**
     * Per tick: a chunk without an answer for a quarter of {@code snapshotTimeout} is sent again from the offset
     * the follower last confirmed (the chunk or its answer was lost: resume, do not restart); after
     * {@value #MAX_RETRANSMITS} silent retransmissions the transfer is abandoned.
     */
    void expire(long nowNanos) throws IOException {
        if (outgoing.isEmpty()) {
            return;
        }
        Iterator<Outgoing> it = List.copyOf(outgoing.values()).iterator();
        while (it.hasNext()) {
            Outgoing out = it.next();
            if (nowNanos - out.lastActivityNanos > timeoutNanos / (MAX_RETRANSMITS + 1)) {
                if (out.retransmits == MAX_RETRANSMITS) {
                    finish(out, false);
                } else {
                    out.retransmits++;
                    sendChunk(out);
                }
            }
        }
    }

    /** Leadership lost: the new leader decides what followers need. */
    void abortSending() {
        for (Outgoing out : outgoing.values()) {
            closeQuietly(out.source);
        }
        outgoing.clear();
    }

    // ----------------------------------------------------------------------------------------- follower side

    /** A chunk from the leader. Called after the core has seen it (term checks, election timer reset). */
    void onRequest(InstallSnapshotRequest r) throws IOException {
        if (r.term() != core.currentTerm() || !r.from().equals(core.leaderId()) || core.role() == Role.LEADER) {
            return; // stale chunk from a deposed leader: no answer (§5.1 — the core already told it our term)
        }
        SnapshotMeta meta = new SnapshotMeta(r.lastIncludedIndex(), r.lastIncludedTerm(), r.configuration());
        // The same snapshot from the same leader in the same term is the same bytes: a transfer the leader gave
        // up on and starts again from 0 resumes where this follower stopped (the answer below names the offset).
        // Anything else at offset 0 is a new transfer, and a partial one is discarded.
        boolean sameTransfer = incoming != null && incoming.meta.equals(meta) && incoming.term == r.term()
                && incoming.leader.equals(r.from());
        if (r.offset() == 0 && !sameTransfer) {
            abortReceiving();
            incoming = new Incoming(r.from(), r.term(), meta, store.beginReceived(meta));
        }
        Incoming in = incoming;
        if (in == null || !in.meta.equals(meta) || in.term != r.term()) {
            respond(r, 0, false); // start over from the beginning
            return;
        }
        if (r.offset() != in.expectedOffset) {
            respond(r, in.expectedOffset, false); // a lost or duplicated chunk: say where to resume
            return;
        }
        in.sink.stream().write(r.data());
        in.expectedOffset += r.data().length;
        metrics.installSnapshotBytesReceived.increment(r.data().length);
        if (!r.done()) {
            respond(r, in.expectedOffset, false);
            return;
        }
        in.sink.stream().flush();
        in.sink.commit(); // durable before the core and the leader hear about it
        in.sink.close();
        incoming = null;
        boolean adopted = core.installSnapshot(meta);
        long nanos = System.nanoTime() - in.startNanos;
        onInstalled.accept(new SnapshotInfo(meta.lastIncludedIndex(), meta.lastIncludedTerm(), in.expectedOffset,
                Instant.now(), Duration.ofNanos(nanos), SnapshotInfo.Origin.INSTALLED));
        LOG.info("{}: received snapshot at index {} (term {}) from {}, {} bytes{}", id, meta.lastIncludedIndex(),
                meta.lastIncludedTerm(), r.from(), in.expectedOffset, adopted ? "" : " (already past it: ignored)");
        respond(r, in.expectedOffset, true);
    }

    private void respond(InstallSnapshotRequest r, long nextOffset, boolean done) {
        transport.send(new InstallSnapshotResponse(id, r.from(), core.currentTerm(), r.lastIncludedIndex(),
                nextOffset, done));
    }

    void abortReceiving() {
        if (incoming != null) {
            closeQuietly(incoming.sink);
            incoming = null;
        }
    }

    void close() {
        abortSending();
        abortReceiving();
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("{}: closing a snapshot stream failed", id, e);
        }
    }
}
