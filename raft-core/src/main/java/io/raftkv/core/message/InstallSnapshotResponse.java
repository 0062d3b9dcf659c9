package io.raftkv.core.message;

/**
 * The answer to an {@link InstallSnapshotRequest} chunk.
 *
 * @param nextOffset the offset the receiver expects next (lets the leader resume a torn transfer)
 * @param done       the snapshot was fully received and installed
 */
public record InstallSnapshotResponse(String from, String to, long term, long lastIncludedIndex,
                                      long nextOffset, boolean done) implements RaftMessage {
}
