package io.raftkv.core.server;

import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Bounded waiting and thread-leak checks for the server tests. */
final class ServerTestSupport {
    private ServerTestSupport() {
    }

    /** Polls {@code condition} every 5 ms for at most {@code timeoutMs}. */
    static void await(BooleanSupplier condition, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeoutMs + " ms waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Every raft and apply thread of these servers has ended. */
    static void assertNoThreadsOf(String... ids) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            for (String id : ids) {
                if (t.isAlive() && (t.getName().equals("raft-" + id) || t.getName().equals("raft-apply-" + id)
                        || t.getName().equals("raft-snapshot-" + id) || t.getName().equals("raft-disk-" + id))) {
                    // give a just-closed thread a moment to finish exiting
                    try {
                        t.join(2000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    assertTrue(!t.isAlive(), "thread " + t.getName() + " still running");
                }
            }
        }
    }
}
