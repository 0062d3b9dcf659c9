package io.raftkv.core;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;

import java.util.List;

/**
 * The work {@link RaftNode} hands to its driver after some inputs. The driver must do it <em>in this order</em>,
 * then call {@link RaftNode#advance(Ready)}:
 * <ol>
 *   <li>send {@link #earlyMessages()} — the leader's AppendEntries, which may leave before the leader's own
 *       fsync (thesis §10.2.1: the leader counts itself towards a quorum only after its fsync);</li>
 *   <li>persist {@link #hardState()} if not null (term and vote must be durable before any vote or message of
 *       that term leaves: Election Safety, §5.2);</li>
 *   <li>persist {@link #entries()}: if the first entry's index is at or below the log's last index, truncate
 *       the log from there first (a conflicting suffix, §5.3); then append, then sync once (group commit);</li>
 *   <li>send {@link #messages()} — they may acknowledge the entries and votes just persisted;</li>
 *   <li>apply {@link #committedEntries()} in order (they are committed and already durable locally);</li>
 *   <li>serve the reads in {@link #readStates()} once the state machine has applied their read index.</li>
 * </ol>
 *
 * @param softState  role/term/leader, or null if unchanged since the previous Ready
 * @param hardState  term and vote to persist, or null if unchanged
 * @param entries    entries to append (may overwrite a conflicting suffix)
 * @param earlyMessages messages that may be sent before persisting
 * @param messages   messages to send only after persisting
 * @param committedEntries entries to apply, in index order
 * @param readStates answers to ReadIndex requests
 */
public record Ready(SoftState softState, HardState hardState, List<LogEntry> entries,
                    List<RaftMessage> earlyMessages, List<RaftMessage> messages,
                    List<LogEntry> committedEntries, List<ReadState> readStates) {

    public Ready {
        entries = List.copyOf(entries);
        earlyMessages = List.copyOf(earlyMessages);
        messages = List.copyOf(messages);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
    }

    /** True if the driver must sync storage before sending {@link #messages()}. */
    public boolean mustPersist() {
        return hardState != null || !entries.isEmpty();
    }

    public boolean isEmpty() {
        return softState == null && hardState == null && entries.isEmpty() && earlyMessages.isEmpty()
                && messages.isEmpty() && committedEntries.isEmpty() && readStates.isEmpty();
    }
}
