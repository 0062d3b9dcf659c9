package io.raftkv.core;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;

import java.util.List;

/**
 * The work {@link RaftNode} hands to its driver after some inputs. The driver must do it <em>in this order</em>,
 * then call {@link RaftNode#advance(Ready)}; no input (a tick, a message, a proposal, a report) may reach the node
 * between {@link RaftNode#ready()} and {@code advance}. This list is the one statement of the order: the READMEs,
 * {@code RaftLoop}, raft-sim's {@code SimNode} and its scenario harness refer to its steps by number.
 * <ol>
 *   <li>send {@link #earlyMessages()} — the leader's AppendEntries, which may leave before the leader's own
 *       fsync (thesis §10.2.1: the leader counts itself towards a quorum only after its fsync);</li>
 *   <li>persist {@link #hardState()} if not null (term and vote must be durable before any vote or message of
 *       that term leaves: Election Safety, §5.2);</li>
 *   <li>if {@link #snapshotToInstall()} is set: if it says so, reset the log store to the snapshot (the entries
 *       of this Ready start right after it), and queue the state machine's restore on the apply thread (after
 *       the entries handed out before, before this Ready's committed entries);</li>
 *   <li>persist {@link #entries()}: if the first entry's index is at or below the log's last index, truncate
 *       the log from there first (a conflicting suffix, §5.3); then append, then sync once (group commit);</li>
 *   <li>send {@link #messages()} — they may acknowledge the entries and votes just persisted;</li>
 *   <li>apply {@link #committedEntries()} in order (they are committed and already durable locally);</li>
 *   <li>serve the reads in {@link #readStates()} once the state machine has applied their read index, and match
 *       each accepted {@link #forwardResults() forwarded batch} with the entries this server will apply at its
 *       indexes (register them before handing out this Ready's committed entries);</li>
 *   <li>start sending the latest snapshot to each peer in {@link #snapshotsToSend()} (InstallSnapshot,
 *       chunked, outside the core) and report the outcome with {@link RaftNode#reportSnapshot} — an input, so
 *       never before {@code advance}. A driver whose transfer may report at once (no snapshot to send, say)
 *       starts the transfers after {@code advance}, as {@code RaftLoop} does.</li>
 * </ol>
 * One relaxation: when there is no {@link #snapshotToInstall()}, steps 6 and 7 may start before step 4 (and run
 * while it syncs). Committed entries are only ever handed out once they are durable locally, and a read index
 * does not depend on this node's unsynced entries, so neither waits for this Ready's fsync.
 *
 * @param softState  role/term/leader, or null if unchanged since the previous Ready
 * @param hardState  term and vote to persist, or null if unchanged
 * @param entries    entries to append (may overwrite a conflicting suffix)
 * @param earlyMessages messages that may be sent before persisting
 * @param messages   messages to send only after persisting
 * @param committedEntries entries to apply, in index order
 * @param readStates answers to ReadIndex requests
 * @param forwardResults where the leader appended batches this server forwarded ({@link RaftNode#forward}), or why
 *                   it did not
 * @param snapshotToInstall a snapshot received from the leader to restore, or null
 * @param snapshotsToSend peers that need the latest snapshot because the entries they lack were compacted
 */
public record Ready(SoftState softState, HardState hardState, List<LogEntry> entries,
                    List<RaftMessage> earlyMessages, List<RaftMessage> messages,
                    List<LogEntry> committedEntries, List<ReadState> readStates,
                    List<ForwardResult> forwardResults, SnapshotInstall snapshotToInstall,
                    List<String> snapshotsToSend) {

    public Ready {
        entries = List.copyOf(entries);
        earlyMessages = List.copyOf(earlyMessages);
        messages = List.copyOf(messages);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
        forwardResults = List.copyOf(forwardResults);
        snapshotsToSend = List.copyOf(snapshotsToSend);
    }

    /**
     * A snapshot the follower must install (§7).
     *
     * @param meta       what it covers
     * @param discardLog true if the log store must be reset to {@code meta} (its entries conflict or end
     *                   before the snapshot); false if the entries after the snapshot are kept
     */
    public record SnapshotInstall(io.raftkv.core.storage.SnapshotMeta meta, boolean discardLog) {
    }

    /** True if the driver must sync storage before sending {@link #messages()}. */
    public boolean mustPersist() {
        return hardState != null || !entries.isEmpty() || (snapshotToInstall != null && snapshotToInstall.discardLog());
    }

    public boolean isEmpty() {
        return softState == null && hardState == null && entries.isEmpty() && earlyMessages.isEmpty()
                && messages.isEmpty() && committedEntries.isEmpty() && readStates.isEmpty()
                && forwardResults.isEmpty() && snapshotToInstall == null && snapshotsToSend.isEmpty();
    }
}
