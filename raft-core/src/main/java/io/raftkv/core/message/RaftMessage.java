package io.raftkv.core.message;

/**
 * Every message two Raft nodes exchange. The family is closed (sealed): the records permitted below are all the
 * messages there are, and no other class can claim to be one.
 *
 * <p>The compiler does not check that every handler covers every type, though: the handlers are {@code instanceof}
 * chains (on Java 17 a {@code switch} over a sealed type is checked for exhaustiveness only as a preview feature),
 * so a new record compiles everywhere. What catches a missing handler is the handlers themselves, at run time:
 * {@code RaftNode.step} ends in an {@code IllegalArgumentException} for a type it has no branch for (its branch for
 * {@link InstallSnapshotResponse} is deliberately empty: the driver handles it), and so do raft-transport-netty's
 * {@code MessageCodec} and raft-sim's {@code MessageFormat}; raft-core's {@code MessageDispatchTest} steps one
 * message of every permitted type, so a record added here fails that test until {@code RaftNode.step} handles it.
 * The driver ({@code RaftLoop.handle}, {@code SnapshotTransfers}) looks only at the types it has business with.
 *
 * <p>Every message carries the sender, the receiver and the sender's current term; a receiver that sees a
 * higher term than its own steps down and adopts it (§5.1), with the pre-vote exceptions of thesis §9.6.
 */
public sealed interface RaftMessage
        permits VoteRequest, VoteResponse, AppendEntriesRequest, AppendEntriesResponse,
                InstallSnapshotRequest, InstallSnapshotResponse, TimeoutNow,
                ReadIndexRequest, ReadIndexResponse, ForwardRequest, ForwardResponse {

    /** Node id of the sender. */
    String from();

    /** Node id of the receiver. */
    String to();

    /** The sender's term (for a pre-vote request: the term it would campaign in). */
    long term();
}
