package io.raftkv.core.server;

import java.util.concurrent.CompletableFuture;

/**
 * A linearizable or lease read on its way: first waiting for a read index (raft thread), then for the state
 * machine to apply up to it (apply thread), then answered by {@code StateMachine.query}.
 *
 * @param deadlineNanos {@link System#nanoTime()} after which a read still waiting for its read index, or for the
 *                      state machine to apply up to it, fails
 */
record PendingRead(byte[] query, CompletableFuture<byte[]> future, long deadlineNanos) {
}
