package io.raftkv.server.resp;

import io.raftkv.core.Role;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespSettings;
import io.raftkv.server.plugin.Plugins;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link RespBackend} without Raft: proposals are applied to a plugin's state machine in order, queries answered
 * from it; {@link #table} is the plugin's RESP command table, as the server asks for it. {@link #hold} keeps the next
 * futures incomplete until {@link #release}, {@link #failWith} fails them.
 */
final class LocalBackend implements RespBackend {
    final PluginInstance plugin;
    private final StateMachine machine;
    private long index;
    private boolean holding;
    private final List<Runnable> held = new ArrayList<>();
    private Supplier<Throwable> failure;
    final List<Integer> proposeBatches = new ArrayList<>();
    final List<Integer> readBatches = new ArrayList<>();
    volatile RaftStatus status = new RaftStatus("n1", Role.LEADER, 3, "n1", 7, 7, 7,
            List.of(new RaftStatus.MemberStatus("n1", "127.0.0.1:7001", true, 7L)), 0, true);

    LocalBackend(PluginInstance plugin) {
        this.plugin = plugin;
        this.machine = plugin.stateMachine();
    }

    /** Over a fresh instance of the plugin named {@code name}, found the way the server finds it. */
    static LocalBackend of(String name) {
        try {
            return new LocalBackend(Plugins.named(name).open(new PluginContext("n1", Path.of("unused"),
                    new SimpleMeterRegistry())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Over a fresh KV store (the kv plugin, the server's default). */
    LocalBackend() {
        this(of("kv").plugin);
    }

    /** The plugin's RESP table, with destructive commands (FLUSHDB) allowed or not. */
    RespCommandTable table(boolean allowDestructiveCommands) {
        return plugin.respCommands(new RespSettings(allowDestructiveCommands));
    }

    /** Futures from now on stay incomplete until {@link #release()}. */
    void hold() {
        holding = true;
    }

    /** Completes everything held, in order, and stops holding. */
    void release() {
        holding = false;
        List<Runnable> all = new ArrayList<>(held);
        held.clear();
        all.forEach(Runnable::run);
    }

    /** Futures from now on fail with what {@code f} makes (null: succeed again). */
    void failWith(Supplier<Throwable> f) {
        failure = f;
    }

    @Override
    public synchronized List<CompletableFuture<byte[]>> proposeAll(List<byte[]> commands) {
        proposeBatches.add(commands.size());
        List<CompletableFuture<byte[]>> out = new ArrayList<>();
        for (byte[] c : commands) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            out.add(f);
            run(f, () -> machine.apply(++index, c));
        }
        return out;
    }

    @Override
    public synchronized List<CompletableFuture<byte[]>> readAll(List<byte[]> queries, ReadLevel level) {
        readBatches.add(queries.size());
        List<CompletableFuture<byte[]>> out = new ArrayList<>();
        for (byte[] q : queries) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            out.add(f);
            run(f, () -> machine.query(q));
        }
        return out;
    }

    private void run(CompletableFuture<byte[]> f, Supplier<byte[]> work) {
        Runnable r = failure != null ? () -> f.completeExceptionally(failure.get()) : () -> f.complete(work.get());
        if (holding) {
            held.add(r);
        } else {
            r.run();
        }
    }

    @Override
    public RaftStatus status() {
        return status;
    }
}
