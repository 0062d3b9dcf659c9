package io.raftkv.core.message;

/**
 * The answer to an {@link InstallSnapshotRequest} chunk.
 *
 * @param nextOffset     the offset the receiver expects next (lets the leader resume a torn transfer)
 * @param answeredOffset the offset of the chunk this answers. With several chunks in flight it tells the two
 *                       kinds of answer that make no progress apart: a chunk beyond {@code nextOffset} arrived
 *                       after a lost one (the leader must go back), a chunk before it was a retransmitted duplicate
 *                       (nothing to do)
 * @param done           the snapshot was fully received and installed
 */
public record InstallSnapshotResponse(String from, String to, long term, long lastIncludedIndex,
                                      long nextOffset, long answeredOffset, boolean done) implements RaftMessage {
}
