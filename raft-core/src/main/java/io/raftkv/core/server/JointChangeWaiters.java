package io.raftkv.core.server;

import io.raftkv.core.cluster.Configuration;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Callers waiting for a joint-consensus change (Raft §6) to end: the apply thread reports every configuration it
 * applies, and once a simple one — C_new — is applied here, every waiter completes with it. A caller registers
 * from any thread, after its C_old,new entry was applied.
 */
final class JointChangeWaiters {
    private final ConcurrentLinkedQueue<CompletableFuture<Configuration>> waiting = new ConcurrentLinkedQueue<>();
    private volatile Configuration applied;

    JointChangeWaiters(Configuration applied) {
        this.applied = applied;
    }

    /** Apply thread: {@code configuration} is now the applied one (from an entry or a restored snapshot). */
    void applied(Configuration configuration) {
        applied = configuration;
        if (!configuration.isJoint()) {
            completeAll(configuration);
        }
    }

    /**
     * Any thread: completes with the applied configuration as soon as it is simple (at once if it is). Registering
     * before reading {@link #applied} means the apply thread's next report cannot miss this future.
     */
    CompletableFuture<Configuration> awaitSimple() {
        CompletableFuture<Configuration> future = new CompletableFuture<>();
        waiting.add(future);
        Configuration now = applied;
        if (!now.isJoint()) {
            waiting.remove(future);
            future.complete(now);
        }
        return future;
    }

    /** The server is stopping: nobody here will see the change end. */
    void failAll(Throwable cause) {
        CompletableFuture<Configuration> f;
        while ((f = waiting.poll()) != null) {
            f.completeExceptionally(cause);
        }
    }

    private void completeAll(Configuration configuration) {
        CompletableFuture<Configuration> f;
        while ((f = waiting.poll()) != null) {
            f.complete(configuration);
        }
    }
}
