package io.raftkv.plugin.resp;

import java.util.List;

/**
 * A plugin's data commands for the server's RESP (Redis protocol) front door, as {@code HttpRoutes} are its HTTP
 * routes: how each command becomes a command for the Raft log or a query of the state machine, and how the result
 * becomes a reply. A plugin returns one from {@code PluginInstance.respCommands}; {@code bin/raftkv serve --resp
 * HOST:PORT} then serves it. The KV store's table (kv-plugin's {@code KvRespCommands}: GET, SET, MGET, INCR, SCAN,
 * ...) goes through exactly this interface.
 *
 * <p>The server's side of the front door owns everything else, the same for every plugin: framing and protocol
 * limits, pipelining (the proposals of one read go to Raft as one batch, {@code RaftServer.proposeAll}, the queries as
 * one read index, {@code readAll}), the connection commands (PING, HELLO, CLIENT, INFO, COMMAND, CONFIG GET, SELECT,
 * QUIT, RESET, {@code RAFTKV.READLEVEL}), MULTI's queue, the connection's read level, arity checks, unknown-command
 * errors, timeouts and the errors of the Raft layer ({@code CLUSTERDOWN}, {@code TRYAGAIN}, {@code OUTCOMEUNKNOWN},
 * {@code MISCONF}). A table knows nothing of Netty, sockets or Raft: it only plans.
 *
 * <p><b>Threads.</b> {@link #plan}, {@link #transaction} and {@link #keyspaceInfo} run on the connections' event
 * loops, many connections at once on different threads, so a table must be thread-safe (the KV table is immutable),
 * must never block, and must not touch the state machine except through a {@link RespAction.Query}: the state
 * machine belongs to the apply thread. The {@code onResult} functions of the actions it returns run on the
 * connection's event loop too, once Raft answered. An exception thrown by {@code plan}, {@code transaction} or an
 * {@code onResult} becomes an {@code -ERR internal error} reply to that command alone; the connection stays open.
 */
public interface RespCommandTable {

    /**
     * Every command this table serves (lower-case names), for dispatch, arity checks, {@code COMMAND} and
     * {@code COMMAND DOCS}. Called once, when the front door starts; the names must not be those of the connection
     * commands (the server refuses to start then).
     */
    List<RespCommandSpec> commands();

    /**
     * Plans one command whose name is one of {@link #commands()} and whose arity was checked already. Inside
     * {@code MULTI} the server plans each command as it is queued (an error reply then aborts the transaction, as in
     * Redis) and hands the queue to {@link #transaction} at {@code EXEC}.
     *
     * @param spec the command's entry in {@link #commands()}
     * @param args the command name followed by its arguments, as sent (the name in the client's case)
     * @return a reply now (syntax error, refused option), a proposal or a query
     */
    RespAction plan(RespCommandSpec spec, List<byte[]> args);

    /**
     * {@code EXEC}: every queued command as one action, applied as one log entry, all or nothing. Its reply is the
     * array of the commands' replies, or an error if the transaction was aborted ({@code EXECABORT}). A table whose
     * state machine has no transactions answers {@code new RespAction.Now(RespReply.error("EXECABORT", ...))}.
     *
     * @param queued the queued commands (name first, as sent), each of which {@link #plan} accepted; never empty
     */
    RespAction transaction(List<List<byte[]>> queued);

    /**
     * Lines of {@code INFO}'s {@code # Keyspace} section (e.g. {@code db0:keys=12,expires=0,avg_ttl=0}), or none.
     * Keep it cheap and thread-safe against apply.
     */
    default List<String> keyspaceInfo() {
        return List.of();
    }
}
