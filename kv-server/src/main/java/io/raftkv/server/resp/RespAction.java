package io.raftkv.server.resp;

import java.util.Objects;
import java.util.function.Function;

/**
 * What one command turns into: a reply now, a command for the Raft log, or a query of the state machine. The
 * connection batches the proposals and queries of one read and writes the replies in order; the functions turn the
 * state machine's result bytes into the reply (on the connection's event loop).
 */
public sealed interface RespAction {

    /** Answered without Raft (connection commands, syntax errors). {@code close}: close after this reply (QUIT). */
    record Now(RespReply reply, boolean close) implements RespAction {
        public Now {
            Objects.requireNonNull(reply, "reply");
        }

        public Now(RespReply reply) {
            this(reply, false);
        }
    }

    /** A command for the log ({@code RaftServer.proposeAll}); any server takes it, a follower forwards it. */
    record Propose(byte[] command, Function<byte[], RespReply> onResult) implements RespAction {
        public Propose {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(onResult, "onResult");
        }
    }

    /** A query ({@code RaftServer.readAll}) at the connection's read level. */
    record Query(byte[] query, Function<byte[], RespReply> onResult) implements RespAction {
        public Query {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(onResult, "onResult");
        }
    }
}
