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
 * <p><b>Sending.</b> Up to {@code snapshotChunksInFlight} chunks ({@code snapshotChunkBytes} each) per follower
 * are in flight, a window that slides as answers come in: each {@link InstallSnapshotResponse} says which offset
 * the follower expects next, and only an answer that moves that offset forward opens room for more. The first chunk
 * goes out alone, since the follower may already hold part of the snapshot and name a later offset. The transport
 * keeps a peer's messages in order but may drop one under backpressure: the chunk after a lost one is answered with
 * the offset still expected, and its {@code answeredOffset} beyond it tells the leader to go back there, once. An
 * answer to a retransmitted duplicate ({@code answeredOffset} before the expected offset) changes nothing, so
 * retransmissions do not double the traffic. If nothing comes back at all (a connection drop), the timer sends the
 * window again from the last confirmed offset. A follower that already has a chunk answers with the offset it
 * expects, so a lost chunk or a lost answer costs one window of retransmission, not a restart. When the follower
 * reports {@code done},
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
    private final int chunksInFlight;
    private final long timeoutNanos;
    private final Consumer<SnapshotInfo> onInstalled;

    private final Map<String, Outgoing> outgoing = new HashMap<>();
    private Incoming incoming;

    private static final class Outgoing {
        final String peer;
        final SnapshotStore.Source source;
        final SnapshotMeta meta;
        /** The term this node led when the transfer began: every chunk carries it, and it ends with it. */
        final long term;
        /** The offset the follower last said it expects: it has written everything before it. */
        long confirmed;
        /** Where the next chunk starts: chunks in [confirmed, sentUpTo) are in flight. */
        long sentUpTo;
        /** False until the follower first answered: until then only one chunk is sent (it may name a later offset). */
        boolean answered;
        /** The offset the window last went back to after a gap; -1 if none. Later gap answers naming it are old news. */
        long rewoundTo = -1;
        /** When the follower last moved {@link #confirmed} forward (or the transfer started, or was resent). */
        long lastActivityNanos;
        int retransmits;

        Outgoing(String peer, SnapshotStore.Source source, long term) {
            this.peer = peer;
            this.source = source;
            this.meta = source.meta();
            this.term = term;
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
        this.chunksInFlight = options.snapshotChunksInFlight();
        this.timeoutNanos = options.snapshotTimeout().toNanos();
    }

    // ------------------------------------------------------------------------------------------- leader side

    /** The core named these followers in {@code Ready.snapshotsToSend}. */
    void send(List<String> peers) throws IOException {
        if (core.role() != Role.LEADER) {
            return; // §5.2: chunks from a node that does not lead would be taken for the leader's
        }
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
            Outgoing out = new Outgoing(peer, source, core.currentTerm());
            outgoing.put(peer, out);
            LOG.info("{}: sending snapshot at index {} ({} bytes) to {}", id, out.meta.lastIncludedIndex(),
                    source.size(), peer);
            out.lastActivityNanos = System.nanoTime();
            fillWindow(out);
        }
    }

    /** A follower answered a chunk. Called after the core has seen the message (it may have stepped down). */
    void onResponse(InstallSnapshotResponse r) throws IOException {
        Outgoing out = outgoing.get(r.from());
        if (out == null || r.lastIncludedIndex() != out.meta.lastIncludedIndex() || r.term() != out.term
                || out.term != core.currentTerm() || core.role() != Role.LEADER) {
            return; // stale: an older transfer, or we are no longer its leader
        }
        if (r.done()) {
            finish(out, true);
            return;
        }
        long next = Math.max(0, Math.min(r.nextOffset(), out.source.size()));
        if (!out.answered || next > out.confirmed) {
            // Progress (or the first answer, which may name any offset: a partial download kept from before).
            out.answered = true;
            out.confirmed = next;
            out.sentUpTo = Math.max(out.sentUpTo, next);
            out.retransmits = 0;
            out.lastActivityNanos = System.nanoTime();
        } else if (next < out.confirmed) {
            // The follower went back (it restarted, or dropped its partial download): start again where it is.
            out.confirmed = next;
            out.sentUpTo = next;
            out.rewoundTo = -1;
            out.lastActivityNanos = System.nanoTime();
        } else if (r.answeredOffset() > next && next < out.sentUpTo && out.rewoundTo != next) {
            // A chunk arrived after a gap: the chunk at `next` was lost (dropped by the transport under
            // backpressure, or with a connection). Go back to it once; the answers to the other chunks that were
            // in flight behind the gap name the same offset and are ignored.
            out.sentUpTo = next;
            out.rewoundTo = next;
        } else {
            // No progress and nothing lost: the answer to a retransmitted duplicate, or another answer behind a
            // gap already handled. Sending here would double the traffic after every retransmission.
            return;
        }
        fillWindow(out);
    }

    /** Sends chunks from {@code sentUpTo} until the window is full or the snapshot's end was sent. */
    private void fillWindow(Outgoing out) throws IOException {
        long size = out.source.size();
        int window = out.answered ? chunksInFlight : 1;
        while (out.sentUpTo < size && out.sentUpTo - out.confirmed < (long) window * chunkBytes) {
            out.sentUpTo += sendChunk(out, out.sentUpTo);
        }
        if (size == 0 && out.sentUpTo == 0 && !out.answered) {
            sendChunk(out, 0); // an empty snapshot is one empty, final chunk
        }
    }

    /** Sends the chunk at {@code offset}; returns its length. */
    private int sendChunk(Outgoing out, long offset) throws IOException {
        byte[] data;
        try (InputStream in = out.source.open(offset)) {
            data = in.readNBytes((int) Math.min(chunkBytes, out.source.size() - offset));
        }
        boolean done = offset + data.length >= out.source.size();
        transport.send(new InstallSnapshotRequest(id, out.peer, out.term, out.meta.lastIncludedIndex(),
                out.meta.lastIncludedTerm(), out.meta.configuration(), offset, data, done));
        metrics.installSnapshotBytesSent.increment(data.length);
        return data.length;
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
     * Per tick: a transfer without progress for a quarter of {@code snapshotTimeout} sends its window again from
     * the offset the follower last confirmed (chunks or answers were lost: resume, do not restart); after
     * {@value #MAX_RETRANSMITS} retransmissions without progress the transfer is abandoned.
     */
    void expire(long nowNanos) throws IOException {
        if (outgoing.isEmpty()) {
            return;
        }
        Iterator<Outgoing> it = List.copyOf(outgoing.values()).iterator();
        while (it.hasNext()) {
            Outgoing out = it.next();
            if (core.role() != Role.LEADER || core.currentTerm() != out.term) {
                // Leadership ended in the batch just stepped; the soft-state change that aborts every transfer
                // comes with the next Ready. Until then, not one more chunk under a term this node does not lead.
                outgoing.remove(out.peer);
                closeQuietly(out.source);
                continue;
            }
            if (nowNanos - out.lastActivityNanos > timeoutNanos / (MAX_RETRANSMITS + 1)) {
                if (out.retransmits == MAX_RETRANSMITS) {
                    finish(out, false);
                } else {
                    out.retransmits++;
                    out.sentUpTo = out.confirmed;
                    out.rewoundTo = out.confirmed;
                    out.lastActivityNanos = nowNanos;
                    fillWindow(out);
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

    /**
     * A chunk from the leader. Called after the core has seen it (term checks, election timer reset). A chunk that
     * cannot be written (the snapshot directory is full or failing) abandons this download without an answer: the
     * log and the snapshots already held are untouched, so this is no reason to stop the server; the leader times
     * the transfer out and retries it later (§7).
     */
    void onRequest(InstallSnapshotRequest r) {
        try {
            receive(r);
        } catch (IOException e) {
            LOG.warn("{}: writing the snapshot at index {} received from {} failed; abandoned, the leader will retry: {}",
                    id, r.lastIncludedIndex(), r.from(), e.toString());
            abortReceiving();
        }
    }

    private void receive(InstallSnapshotRequest r) throws IOException {
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
                nextOffset, r.offset(), done));
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
