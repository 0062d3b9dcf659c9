package io.raftkv.plugin;

import java.io.IOException;
import java.util.List;

/**
 * A state machine the server can run: {@code bin/raftkv serve --state-machine NAME} finds the plugin whose
 * {@link #name()} is {@code NAME} among those on the class path, with {@link java.util.ServiceLoader} (default
 * {@code kv}). A plugin registers itself in its jar's
 * {@code META-INF/services/io.raftkv.plugin.StateMachinePlugin} (one class name per line); the class needs a public
 * no-argument constructor. The server bundles {@code kv} and {@code sql}; a user's jar on the class path adds more:
 * <pre>
 * java $CHRONICLE_FLAGS -cp raftkv.jar:ledger.jar io.raftkv.server.Main serve --state-machine ledger …
 * </pre>
 *
 * <p>The server knows no plugin by name: the KV store goes through exactly this path too.
 *
 * <p><b>Lifecycle</b>, per server process: {@link #open} once, with the server's data directory opened and locked;
 * then the server builds and starts Raft around {@link PluginInstance#stateMachine()}, asks the instance for its
 * front doors ({@link PluginInstance#httpRoutes}; {@link PluginInstance#respCommands} with {@code --resp}), serves,
 * and on shutdown stops HTTP and RESP, then Raft, then {@linkplain PluginInstance#close() closes} the instance. A
 * data directory remembers the plugin that first used it, and the server refuses to start it with another one (its
 * log holds that plugin's commands).
 */
public interface StateMachinePlugin {

    /**
     * The name {@code --state-machine} selects, e.g. {@code kv}: lower-case letters, digits and {@code -}, unique on
     * the class path. It also names the plugin's directory inside the data directory.
     */
    String name();

    /** One line saying what it is, for {@code serve --help} and error messages. */
    default String description() {
        return "";
    }

    /**
     * A few shell commands that show this plugin's API, for {@code bin/raftkv demo} to print (e.g. a {@code curl}
     * that writes through the first node and one that reads through the second). None by default.
     *
     * @param httpAddresses each node's HTTP {@code host:port}, first node first
     */
    default List<String> exampleRequests(List<String> httpAddresses) {
        return List.of();
    }

    /**
     * A few shell commands that show this plugin's RESP (Redis protocol) commands, for {@code bin/raftkv demo} to
     * print (e.g. a {@code redis-cli} that writes through the first node and one that reads through the second).
     * The demo serves RESP ({@code serve --resp}) only for a plugin that lists some: one whose instances return
     * {@link PluginInstance#respCommands} lists at least one. None by default.
     *
     * @param respAddresses each node's RESP {@code host:port}, first node first
     */
    default List<String> exampleRespRequests(List<String> respAddresses) {
        return List.of();
    }

    /**
     * Opens this plugin's state for one server: typically creates its state machine (an in-memory one starts
     * empty and is rebuilt by Raft from the newest snapshot and the log; a disk-backed one opens its files in
     * {@link PluginContext#directory()} and reports the index it holds).
     *
     * @throws IOException if the plugin's files cannot be opened; the server then exits with one line saying why
     */
    PluginInstance open(PluginContext context) throws IOException;
}
