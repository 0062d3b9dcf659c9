package io.raftkv.core.message;

import java.util.List;

/**
 * AppendEntries (§5.3): replicates {@code entries} after ({@code prevLogIndex}, {@code prevLogTerm}) and tells
 * the follower how far the leader has committed. With no entries it is a heartbeat (§5.2).
 *
 * @param seq a per-leader-term sequence number echoed in the response. The leader uses it to learn that a
 *            majority has acknowledged it <em>after</em> a given moment, which confirms its leadership for
 *            ReadIndex reads (thesis §6.4) and for its lease (thesis §6.4.1).
 */
public record AppendEntriesRequest(String from, String to, long term, long prevLogIndex, long prevLogTerm,
                                   List<LogEntry> entries, long leaderCommit, long seq) implements RaftMessage {
    public AppendEntriesRequest {
        entries = List.copyOf(entries);
    }

    /** Index of the last entry this request carries (prevLogIndex when it is a heartbeat). */
    public long lastIndex() {
        return entries.isEmpty() ? prevLogIndex : entries.get(entries.size() - 1).index();
    }
}
