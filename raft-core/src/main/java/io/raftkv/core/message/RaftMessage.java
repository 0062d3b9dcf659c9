package io.raftkv.core.message;

/**
 * Every message two Raft nodes exchange. The family is closed (sealed) so that codecs and handlers can switch
 * over it exhaustively: adding a message type is a compile error everywhere it must be handled.
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
