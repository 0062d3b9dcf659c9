package io.raftkv.core.message;

import java.util.List;

/**
 * A follower hands client commands to the leader it knows (etcd-io/raft's {@code MsgProp}), so that a client may
 * write through any server and the command crosses the cluster once, inside the Raft transport, instead of as a
 * second client request. Everything the follower received for the leader in one loop turn travels as one batch.
 *
 * <p>The leader appends the commands at consecutive indexes of its log and answers with a {@link ForwardResponse}
 * that says where; the follower then learns each command's outcome from its <em>own</em> apply of those indexes
 * (Log Matching, §5.3: the entry applied at that index has the answer's term iff it is that command), so no
 * result needs to travel back.
 *
 * @param batchId  chosen by the follower, unique among its forwards; the leader appends a batch id it has already
 *                 seen in this term only once (the transport may duplicate messages) and answers it again
 * @param commands the commands, in the order the follower received them
 */
public record ForwardRequest(String from, String to, long term, long batchId, List<byte[]> commands)
        implements RaftMessage {
    public ForwardRequest {
        commands = List.copyOf(commands);
    }

    /** Bytes of all commands, for batching and wire-size estimates. */
    public long commandBytes() {
        long bytes = 0;
        for (byte[] c : commands) {
            bytes += c.length;
        }
        return bytes;
    }
}
