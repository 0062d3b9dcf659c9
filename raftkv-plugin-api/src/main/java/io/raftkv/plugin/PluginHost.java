package io.raftkv.plugin;

import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What the server offers a plugin's front door: proposing and reading through this server's Raft node. Any
 * server takes writes (a follower hands them to the leader over the Raft transport and answers from its own apply)
 * and serves reads at every level (a follower asks the leader for a read index), so a front door never needs to
 * find the leader itself.
 *
 * <p>Two ways to use it. {@link #write(Request, byte[], Function)} and {@link #read(Request, byte[], ReadLevel,
 * Function)} do everything an HTTP route needs: the request timeout, the client session a request carries (its
 * {@code Raftkv-Session} headers, once sessions exist: the server wraps the command, the route does not change),
 * the failure statuses ({@code 503} not applied, safe to retry; {@code 504} outcome unknown) and building the answer
 * on the request's own event loop. {@link #propose} and {@link #read(byte[], ReadLevel)} are the raw
 * {@code RaftServer} calls for front doors with their own conventions (rqlite's API answers in its own shape).
 *
 * <p>Thread-safe; nothing here blocks. Futures complete on the raft or apply thread unless said otherwise.
 */
public interface PluginHost {

    /** This server's id. */
    String id();

    /** This server's view of the cluster (role, term, leader, indexes, members). */
    RaftStatus status();

    /** How long a request may wait for its write to apply or its read to be served ({@code --request-timeout-ms}). */
    Duration requestTimeout();

    /**
     * Where to build answers that are not tied to a request's event loop (the HTTP server's event loops): never
     * on the raft or apply thread that completes a future.
     */
    Executor executor();

    /**
     * Proposes {@code command}: completes with the state machine's result once it is applied on this server, or
     * fails as {@code RaftServer.propose} does ({@code NotLeaderException} when no leader took it within the
     * server's wait, {@code OverloadedException}, {@code NotCommittedException}, {@code OutcomeUnknownException},
     * {@code ShutdownException}). No timeout: time it out yourself.
     */
    CompletableFuture<byte[]> propose(byte[] command);

    /** Runs {@code query} at {@code level} on this server's state machine (see {@code RaftServer.read}). */
    CompletableFuture<byte[]> read(byte[] query, ReadLevel level);

    /**
     * The write of an HTTP request: proposes {@code command} and answers {@code onResult.apply(result)}, built on the
     * request's event loop; 503 if it certainly did not apply, 504 if its outcome is unknown (timed out after the
     * proposal, leadership lost), 500 if {@code onResult} throws.
     */
    CompletableFuture<Reply> write(Request request, byte[] command, Function<byte[], Reply> onResult);

    /**
     * The read of an HTTP request at {@code level}: answers {@code onAnswer.apply(answer)} on the request's event
     * loop; 503 if it could not be served in time (reads are always safe to retry), 500 if {@code onAnswer} throws.
     */
    CompletableFuture<Reply> read(Request request, byte[] query, ReadLevel level, Function<byte[], Reply> onAnswer);
}
