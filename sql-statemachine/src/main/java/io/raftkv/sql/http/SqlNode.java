package io.raftkv.sql.http;

import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.PluginHost;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What the SQL HTTP API needs from the server it runs in: {@link RaftServer}'s {@code propose} and {@code read}.
 * The SQL plugin hands over the server's ({@link #of(PluginHost)}); an embedding program its own
 * {@link RaftServer} ({@link #of(RaftServer)}); tests a fake.
 */
public interface SqlNode {

    /**
     * Proposes an encoded {@link io.raftkv.sql.SqlCommand}; completes with the state machine's encoded result once
     * applied here, or exceptionally as {@link RaftServer#propose} does (NotLeaderException, OverloadedException,
     * OutcomeUnknownException, …).
     */
    CompletableFuture<byte[]> propose(byte[] command);

    /** Runs an encoded {@link io.raftkv.sql.SqlQuery} at {@code level}; completes with the encoded answer. */
    CompletableFuture<byte[]> read(byte[] query, ReadLevel level);

    /** The server's plugin host: propose and read through the node the plugin runs in. */
    static SqlNode of(PluginHost host) {
        Objects.requireNonNull(host, "host");
        return new SqlNode() {
            @Override
            public CompletableFuture<byte[]> propose(byte[] command) {
                return host.propose(command);
            }

            @Override
            public CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
                return host.read(query, level);
            }
        };
    }

    static SqlNode of(RaftServer raft) {
        Objects.requireNonNull(raft, "raft");
        return new SqlNode() {
            @Override
            public CompletableFuture<byte[]> propose(byte[] command) {
                return raft.propose(command);
            }

            @Override
            public CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
                return raft.read(query, level);
            }
        };
    }
}
