package io.raftkv.embedded;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.RaftException;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.core.session.SessionFormatException;
import io.raftkv.core.session.SessionFrame;
import io.raftkv.core.session.SessionReply;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Proposes and reads through whichever of a set of in-process servers leads, retrying what is safe to retry.
 *
 * <pre>{@code
 * try (RaftClient client = RaftClient.of(List.of(n1, n2, n3))) {
 *     byte[] result = client.propose(command).join();
 *     byte[] balance = client.read(query).join();               // linearizable
 * }
 * }</pre>
 *
 * Any running server would do (followers hand proposals to the leader and serve linearizable reads through
 * ReadIndex), but the leader saves a hop, so each call goes to the server that says it leads, or else to the next
 * running one. A call that fails in a way that certainly did not apply it (no leader yet, server stopped,
 * overloaded, entry overwritten by another leader) is tried again, on another server, with a growing pause, until
 * the client's timeout. A proposal whose outcome is unknown ({@code OutcomeUnknownException}: leadership was lost
 * after the entry was appended, or the timeout ran out after proposing) is <em>not</em> resent, because a command
 * that is not idempotent (a transfer) could apply twice: the future fails with it, and the caller decides (read
 * back, or propose through a {@link Session}, which may resend it safely). Reads change nothing and are always
 * retried.
 *
 * <p>Thread-safe. Futures complete on the servers' raft or apply threads or on the client's retry thread: do heavy
 * work with the {@code *Async} continuations.
 */
public final class RaftClient implements AutoCloseable {
    private static final long FIRST_PAUSE_MS = 10;
    private static final long MAX_PAUSE_MS = 200;

    private final List<RaftServer> servers;
    private final Duration timeout;
    private final ScheduledExecutorService retries;
    private int next;

    private RaftClient(List<RaftServer> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("a client needs at least one server");
        }
        this.servers = List.copyOf(servers);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raft-client-retry");
            t.setDaemon(true);
            return t;
        });
    }

    /** A client of these nodes that gives up after 10 s per call. */
    public static RaftClient of(Collection<EmbeddedNode> nodes) {
        return of(nodes, Duration.ofSeconds(10));
    }

    /** A client of these nodes that gives up after {@code timeout} per call. */
    public static RaftClient of(Collection<EmbeddedNode> nodes, Duration timeout) {
        List<RaftServer> raft = new ArrayList<>();
        nodes.forEach(n -> raft.add(n.raft()));
        return new RaftClient(raft, timeout);
    }

    /** A client of these servers (started elsewhere) that gives up after {@code timeout} per call. */
    public static RaftClient ofServers(Collection<RaftServer> servers, Duration timeout) {
        return new RaftClient(new ArrayList<>(servers), timeout);
    }

    /**
     * Proposes {@code command}; completes with the state machine's result, or fails with what stopped it: an
     * {@code OutcomeUnknownException} or {@link TimeoutException} after it may have been appended (do not resend a
     * command that is not idempotent without reading back), or the last refusal if no server took it in time.
     */
    public CompletableFuture<byte[]> propose(byte[] command) {
        Objects.requireNonNull(command, "command");
        return attempt(server -> server.propose(command), RaftClient::safeToResend);
    }

    /** {@link #propose(byte[])} for a text command and result (UTF-8), e.g. of a {@code TextStateMachine}. */
    public CompletableFuture<String> proposeText(String command) {
        return propose(command.getBytes(StandardCharsets.UTF_8)).thenApply(RaftClient::text);
    }

    /**
     * Opens a client session (thesis §6.3) with the servers' {@code SessionStateMachine} (the state machine must be
     * wrapped in one), whose commands are applied once however often they are resent. Blocks until the cluster has
     * the session (one log entry).
     *
     * @param timeout how long the session lives without activity, by the cluster's log time
     * @throws IllegalStateException if the state machine keeps no sessions, or none could be opened in time
     */
    public Session openSession(Duration timeout) {
        // Resending a register is harmless: an orphan session just expires.
        byte[] register = new SessionFrame.Register(System.currentTimeMillis(), timeout.toMillis()).encode();
        byte[] reply = attempt(server -> server.propose(register), failure -> true).join();
        SessionReply decoded = decodeReply(reply);
        if (!(decoded instanceof SessionReply.Registered r)) {
            throw new IllegalStateException("could not open a session: " + decoded);
        }
        return new Session(r.sessionId());
    }

    /**
     * Commands proposed in one client session (thesis §6.3): each gets the next sequence number, and a proposal whose
     * outcome is unknown (leadership lost, timed out) is resent with the <em>same</em> number, on any server, until
     * the client's timeout: the state machine applies it once and every copy gets the answer of that one apply. For
     * commands that are not idempotent (a transfer). Thread-safe.
     */
    public final class Session {
        private final long id;
        private final AtomicLong nextSeq = new AtomicLong(1);
        /** Sequence numbers sent and not answered yet; every seq below the smallest has its answer (acknowledged). */
        private final ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();

        private Session(long id) {
            this.id = id;
        }

        /** The session's id (the index of the log entry that opened it). */
        public long id() {
            return id;
        }

        /**
         * Proposes {@code command} once: completes with the state machine's result, or fails with an
         * {@link IllegalStateException} if the session expired or its answer was dropped, or with the last
         * failure once the client's timeout ran out (then its outcome is unknown: it may yet apply, once).
         */
        public CompletableFuture<byte[]> propose(byte[] command) {
            return propose(nextSeq.getAndIncrement(), command);
        }

        /** Proposes {@code command} as number {@code seq} of the session (a resend of seq gets seq's answer). */
        CompletableFuture<byte[]> propose(long seq, byte[] command) {
            Objects.requireNonNull(command, "command");
            outstanding.add(seq);
            CompletableFuture<byte[]> answered = attempt(server -> {
                Long lowest = outstanding.isEmpty() ? null : outstanding.first();
                long ackedBelow = lowest == null ? seq : Math.min(lowest, seq);
                return server.propose(new SessionFrame.Invoke(System.currentTimeMillis(), id, seq, ackedBelow,
                        command).encode());
            }, failure -> true); // thesis §6.3: a resend with the same seq is applied at most once
            return answered.handle((reply, error) -> {
                outstanding.remove(seq);
                if (error != null) {
                    throw error instanceof CompletionException c ? c : new CompletionException(error);
                }
                SessionReply decoded = decodeReply(reply);
                if (decoded instanceof SessionReply.Answered a) {
                    return a.result();
                }
                throw new CompletionException(new IllegalStateException("session " + id + ", command " + seq
                        + ": " + decoded));
            });
        }
    }

    private static SessionReply decodeReply(byte[] reply) {
        try {
            return SessionReply.decode(reply);
        } catch (SessionFormatException e) {
            throw new IllegalStateException("the servers' state machine keeps no client sessions (wrap it in"
                    + " SessionStateMachine): " + e.getMessage(), e);
        }
    }

    /** A linearizable read (thesis §6.4). */
    public CompletableFuture<byte[]> read(byte[] query) {
        return read(query, ReadLevel.LINEARIZABLE);
    }

    /** {@link #read(byte[])} for a text query and answer (UTF-8): a linearizable read. */
    public CompletableFuture<String> readText(String query) {
        return read(query.getBytes(StandardCharsets.UTF_8)).thenApply(RaftClient::text);
    }

    private static String text(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /** A read at {@code level}; retried on any failure until the timeout (reads change nothing). */
    public CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(level, "level");
        return attempt(server -> server.read(query, level), failure -> true);
    }

    private CompletableFuture<byte[]> attempt(Function<RaftServer, CompletableFuture<byte[]>> call,
                                              java.util.function.Predicate<Throwable> retryable) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        attempt(call, retryable, result, deadline, FIRST_PAUSE_MS);
        return result;
    }

    private void attempt(Function<RaftServer, CompletableFuture<byte[]>> call,
                         java.util.function.Predicate<Throwable> retryable, CompletableFuture<byte[]> result,
                         long deadline, long pauseMs) {
        long left = deadline - System.nanoTime();
        RaftServer server = pick();
        call.apply(server).orTimeout(Math.max(1, left), TimeUnit.NANOSECONDS).whenComplete((bytes, error) -> {
            if (error == null) {
                result.complete(bytes);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            long remaining = deadline - System.nanoTime();
            if (!retryable.test(cause) || remaining <= pauseMs * 1_000_000L || retries.isShutdown()) {
                result.completeExceptionally(cause);
                return;
            }
            retries.schedule(() -> attempt(call, retryable, result, deadline, Math.min(MAX_PAUSE_MS, pauseMs * 2)),
                    pauseMs, TimeUnit.MILLISECONDS);
        });
    }

    /** True if the proposal certainly did not take effect, so sending it again cannot apply it twice. */
    private static boolean safeToResend(Throwable failure) {
        if (failure instanceof RaftException r) {
            return r.safeToRetry();
        }
        return failure instanceof NotLeaderException
                || failure instanceof ProposalRejectedException p && p.reason() == ProposalRejectedException.Reason.RETRY_LATER;
    }

    /** The running server that says it leads, else the next running one in turn, else any. */
    private synchronized RaftServer pick() {
        for (RaftServer s : servers) {
            RaftStatus status = s.status();
            if (s.isRunning() && status.isLeader()) {
                return s;
            }
        }
        for (int i = 0; i < servers.size(); i++) {
            RaftServer s = servers.get(next++ % servers.size());
            if (s.isRunning()) {
                return s;
            }
        }
        return servers.get(next++ % servers.size());
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
