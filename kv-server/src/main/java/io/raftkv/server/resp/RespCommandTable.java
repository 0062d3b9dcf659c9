package io.raftkv.server.resp;

import java.util.List;

/**
 * The data commands of a RESP front door: how each Redis command becomes a command for the Raft log or a query of
 * the state machine, and how the result becomes a reply. The connection layer ({@link RespSession},
 * {@link RespConnection}) owns everything else: framing, limits, pipelining, connection commands, MULTI's queue,
 * read levels, errors of the Raft layer. A table knows nothing of Netty.
 */
public interface RespCommandTable {

    /** Every command this table serves (lower-case names), for dispatch, arity checks and {@code COMMAND}. */
    List<RespCommandSpec> commands();

    /**
     * Plans one command whose arity was checked already.
     *
     * @param args the command name followed by its arguments, as sent
     * @return a reply now (syntax error, refused option), a proposal or a query
     */
    RespAction plan(RespCommandSpec spec, List<byte[]> args);

    /**
     * {@code EXEC}: every queued command as one action, applied as one entry, all or nothing. Its reply is the
     * array of the commands' replies, or an error if the transaction was aborted.
     *
     * @param queued the queued commands (name first), each of which {@link #plan} accepted
     */
    RespAction transaction(List<List<byte[]>> queued);

    /** Lines of {@code INFO}'s {@code # Keyspace} section (e.g. {@code db0:keys=12,expires=0,avg_ttl=0}). */
    List<String> keyspaceInfo();
}
