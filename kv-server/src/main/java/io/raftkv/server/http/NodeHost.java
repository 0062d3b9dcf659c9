package io.raftkv.server.http;

import io.netty.channel.EventLoop;
import io.raftkv.core.server.DiskAlarm;
import io.raftkv.core.server.DiskFullException;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.PluginHost;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The {@link PluginHost} of one server: how every front door (a plugin's routes, the generic API, {@code /digest})
 * proposes and reads through the local {@link RaftServer}, and turns the outcome into a {@link Reply}.
 *
 * <p>A request's answer is built on the event loop of its connection, which also keeps its deadline: no timer
 * thread to wake and no hand-off beyond the one that brings the result back from the raft or apply thread. Failures
 * become statuses in one place, {@link ErrorReplies}: 503 certainly not applied, 504 outcome unknown.
 */
public final class NodeHost implements PluginHost {
    /**
     * UNSAFE, a deliberate bug for raft-fault's mutation test only (never a feature): with
     * {@code -Draftkv.unsafe.localLinearizableReads=true} a "linearizable" read is answered from the local state
     * machine without ReadIndex (thesis §6.4), so a deposed leader or a lagging follower serves stale values.
     */
    private static final boolean UNSAFE_LOCAL_LINEARIZABLE_READS =
            Boolean.getBoolean("raftkv.unsafe.localLinearizableReads");

    private final RaftServer raft;
    private final Duration requestTimeout;
    private final Executor completions;
    private final SessionApi sessions;

    /**
     * @param completions where answers are built for requests without an event loop of their own: RaftServer
     *                    completes its futures on the raft and apply threads, which must not spend their time
     *                    decoding results and encoding JSON
     * @param sessions    wraps a write in its client session when the request carries one
     */
    public NodeHost(RaftServer raft, Duration requestTimeout, Executor completions, SessionApi sessions) {
        this.raft = raft;
        this.requestTimeout = requestTimeout;
        this.completions = completions;
        this.sessions = sessions;
        if (UNSAFE_LOCAL_LINEARIZABLE_READS) {
            // Never silent: a JAVA_TOOL_OPTIONS left over from a test run must not quietly break linearizability.
            LoggerFactory.getLogger(NodeHost.class).warn("{}: UNSAFE -Draftkv.unsafe.localLinearizableReads"
                    + " is set: linearizable reads are served from local state WITHOUT ReadIndex (a deliberate bug"
                    + " for raft-fault's mutation test)", raft.id());
        }
    }

    @Override
    public String id() {
        return raft.id();
    }

    @Override
    public RaftStatus status() {
        return raft.status();
    }

    @Override
    public Duration requestTimeout() {
        return requestTimeout;
    }

    @Override
    public Executor executor() {
        return completions;
    }

    @Override
    public CompletableFuture<byte[]> propose(byte[] command) {
        Optional<DiskFullException> full = diskFull();
        return full.isPresent() ? CompletableFuture.failedFuture(full.get()) : raft.propose(command);
    }

    /** Set while this server's disk is below its reserve: it takes no writes, not even to forward (507). */
    private Optional<DiskFullException> diskFull() {
        return raft.diskAlarms().stream()
                .filter(a -> a instanceof DiskAlarm.NoSpace)
                .map(a -> new DiskFullException(raft.id(), (DiskAlarm.NoSpace) a)).findFirst();
    }

    @Override
    public CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
        return raft.read(query, level);
    }

    @Override
    public CompletableFuture<Reply> write(Request request, byte[] command, Function<byte[], Reply> onResult) {
        // With the session headers the command travels in a session frame (thesis §6.3): a retry of the same
        // (session, seq) gets the first answer, and is applied once.
        SessionApi.Envelope envelope = sessions.envelope(request, command);
        if (envelope.rejected() != null) {
            return CompletableFuture.completedFuture(envelope.rejected());
        }
        Optional<DiskFullException> full = diskFull();
        if (full.isPresent()) { // the client tries another server
            return CompletableFuture.completedFuture(ErrorReplies.of(full.get(), true));
        }
        // Any server takes the write: a follower hands it to the leader over the Raft transport (one message for
        // everything that arrived in a loop turn) and answers from its own apply of the entry.
        return answer(request, sessions.unwrap(raft.propose(envelope.proposal()), envelope.inSession()), true,
                onResult);
    }

    @Override
    public CompletableFuture<Reply> read(Request request, byte[] query, ReadLevel requested,
                                         Function<byte[], Reply> onAnswer) {
        ReadLevel level = UNSAFE_LOCAL_LINEARIZABLE_READS && requested == ReadLevel.LINEARIZABLE
                ? ReadLevel.STALE : requested;
        return answer(request, raft.read(query, level), false, onAnswer);
    }

    /**
     * Turns the raft server's answer into a reply, on the request's own event loop when it has one (the raft and
     * apply threads that complete {@code future} must not spend their time decoding and encoding JSON).
     */
    CompletableFuture<Reply> answer(Request req, CompletableFuture<byte[]> future, boolean isWrite,
                                    Function<byte[], Reply> onResult) {
        if (!(req.loop() instanceof EventLoop loop)) {
            // Not from a client connection (tests, tools): time out with CompletableFuture's own scheduler.
            return future.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .handleAsync((bytes, error) -> toReply(bytes, error, isWrite, onResult), completions);
        }
        // The request's own event loop keeps its deadline and builds its answer: no timer thread to wake and no
        // hand-off beyond the one that brings the result back to the loop.
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        io.netty.util.concurrent.ScheduledFuture<?> timer = loop.schedule(() -> {
            // Completing the server's future frees the request's place in the pending bound at once.
            future.completeExceptionally(new TimeoutException("no answer within " + requestTimeout.toMillis() + " ms"));
        }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        future.whenComplete((bytes, error) -> {
            if (loop.inEventLoop()) {
                timer.cancel(false);
                reply.complete(toReply(bytes, error, isWrite, onResult));
            } else {
                loop.execute(() -> {
                    timer.cancel(false);
                    reply.complete(toReply(bytes, error, isWrite, onResult));
                });
            }
        });
        return reply;
    }

    private static Reply toReply(byte[] bytes, Throwable error, boolean isWrite, Function<byte[], Reply> onResult) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            return ErrorReplies.of(cause, isWrite);
        }
        try {
            return onResult.apply(bytes);
        } catch (RuntimeException e) {
            return Reply.error(500, "cannot answer from the state machine's result: " + e);
        }
    }
}
