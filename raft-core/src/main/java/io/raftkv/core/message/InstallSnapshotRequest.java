package io.raftkv.core.message;

import io.raftkv.core.cluster.Configuration;

/**
 * One chunk of an InstallSnapshot transfer (§7, thesis §5.3). Chunks are sent in order; the receiver writes
 * them to a temporary file and restores only when {@code done}. A transfer resumes from the last acknowledged
 * {@code offset} rather than from zero.
 *
 * @param lastIncludedIndex index of the last entry the snapshot replaces
 * @param lastIncludedTerm  term of that entry
 * @param configuration     the latest configuration as of lastIncludedIndex (thesis §5.4)
 * @param offset            byte offset of {@code data} within the snapshot
 * @param data              this chunk's bytes (bounded by the configured chunk size)
 * @param done              true on the last chunk
 */
public record InstallSnapshotRequest(String from, String to, long term, long lastIncludedIndex,
                                     long lastIncludedTerm, Configuration configuration, long offset,
                                     byte[] data, boolean done) implements RaftMessage {
}
