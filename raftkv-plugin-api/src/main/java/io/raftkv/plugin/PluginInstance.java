package io.raftkv.plugin;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespSettings;

import java.util.Map;

/**
 * One server's instance of a {@link StateMachinePlugin}: its state machine and, optionally, its own front door.
 * Everything but {@link #stateMachine()} has a default, so the smallest plugin is one method.
 *
 * <p><b>Threads.</b> The server calls {@link #httpRoutes} and {@link #respCommands} once, after Raft started, from
 * the thread that starts the server. Routes then run on the HTTP server's event loops, many requests at once: they
 * must not block (propose and read through {@link PluginHost}, which completes asynchronously), and must not
 * touch the state machine except through {@link PluginHost#read}. A RESP command table runs on the RESP
 * connections' event loops under the same rules ({@link RespCommandTable}). {@link #status()} runs on an event
 * loop too.
 */
public interface PluginInstance extends AutoCloseable {

    /**
     * The state machine Raft applies committed commands to (see raft-core's {@code StateMachine} for its
     * threading contract). The same object for the instance's whole life.
     */
    StateMachine stateMachine();

    /**
     * This plugin's HTTP routes (e.g. the KV store's {@code /key/...}, rqlite's {@code /db/...}), or null for the
     * server's generic API: {@code POST /command} and {@code POST /query?level=…} with the command and query bytes as
     * the body (see the server's README). The server's own routes ({@code /status}, {@code /metrics},
     * {@code /digest}, membership, {@code /snapshot}, {@code /ui}) come first and cannot be replaced.
     *
     * @param host how the routes propose and read (any server takes writes; followers hand them to the leader)
     */
    default HttpRoutes httpRoutes(PluginHost host) {
        return null;
    }

    /**
     * Whether the server keeps client sessions around this state machine (exactly-once writes, thesis §6.3): it then
     * wraps {@link #stateMachine()} in raft-core's {@code SessionStateMachine}, and every write route that goes
     * through {@link PluginHost#write} honours the {@code Raftkv-Session}/{@code Raftkv-Seq} headers without changing.
     * The session table lives in memory and is rebuilt from the newest snapshot and the log, so this is only right
     * for a state machine that starts empty too: one that persists itself and starts ahead of the log (a database
     * file) answers false, unless it keeps a session table in its own storage. The answer must never change for a
     * data directory: the log holds session frames only if it is true.
     */
    default boolean clientSessions() {
        return true;
    }

    /**
     * This plugin's data commands for the server's Redis-protocol (RESP2) front door, or null if it has none. With
     * {@code serve --resp HOST:PORT} the server serves the table (the KV store's GET, SET, MGET, INCR, MULTI/EXEC,
     * SCAN, ...) next to its own connection commands, with pipelining, read levels and Raft's errors (see
     * {@link RespCommandTable}); a plugin that answers null cannot be served with {@code --resp}: the server refuses
     * to start and says so. Called only when {@code --resp} is given.
     *
     * @param settings what the operator allowed on this front door (e.g. commands that clear the whole state)
     */
    default RespCommandTable respCommands(RespSettings settings) {
        return null;
    }

    /**
     * How to digest this state machine's whole state ({@code GET /digest}), or null if it cannot: two servers at the
     * same applied index must report the same digest, which is how tests and operators see that they converged.
     */
    default StateDigest digest() {
        return null;
    }

    /**
     * Fields added at the end of {@code GET /status} (the KV store adds {@code "keys"}). Called on an event loop:
     * keep it cheap, and thread-safe against apply.
     */
    default Map<String, Object> status() {
        return Map.of();
    }

    /**
     * The media type of this state machine's commands, results, queries and answers in the generic API
     * ({@code application/octet-stream} unless they are, say, JSON text). Ignored when {@link #httpRoutes} is set.
     */
    default String mediaType() {
        return "application/octet-stream";
    }

    /**
     * Releases what {@link StateMachinePlugin#open} opened (files, connections). Called once, after Raft stopped:
     * no apply, query or snapshot write runs any more.
     */
    @Override
    default void close() {
    }
}
