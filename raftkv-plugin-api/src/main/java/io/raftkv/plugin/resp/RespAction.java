package io.raftkv.plugin.resp;

import java.util.Objects;
import java.util.function.Function;

/**
 * What a {@link RespCommandTable} turns one command into: a reply now, a command for the Raft log, or a query of the
 * state machine. The server batches the proposals and queries of one read (pipelining) and writes the replies in
 * order; the {@code onResult} functions turn the state machine's result bytes into the reply, on the connection's
 * event loop (they must not block). If Raft fails the command (no leader, timeout, overload, ...) the server answers
 * its own error and {@code onResult} is not called.
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

    /**
     * A command for the log ({@code RaftServer.proposeAll}); any server takes it, a follower forwards it.
     * {@code onResult} gets what the state machine's {@code apply} returned for it.
     */
    record Propose(byte[] command, Function<byte[], RespReply> onResult) implements RespAction {
        public Propose {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(onResult, "onResult");
        }
    }

    /**
     * A query ({@code RaftServer.readAll}) at the connection's read level ({@code RAFTKV.READLEVEL}, linearizable by
     * default). {@code onResult} gets what the state machine's {@code query} answered.
     */
    record Query(byte[] query, Function<byte[], RespReply> onResult) implements RespAction {
        public Query {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(onResult, "onResult");
        }
    }
}
