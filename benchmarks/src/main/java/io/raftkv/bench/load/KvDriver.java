package io.raftkv.bench.load;

import java.util.concurrent.CompletionStage;

/**
 * One client connection to a key-value store under test. The load generator keeps one driver per client and runs
 * each client as a closed loop of asynchronous calls: the next call starts from the completion of the previous
 * one, on whatever thread completed it, so a generator of hundreds of clients needs no thread per client and the
 * store's cost, not the generator's, decides the numbers. A driver is called again only after its previous stage
 * completed; implementations need not be thread-safe.
 *
 * <p>A stage fails with {@link KvError} for an answer the store gave (its kind names it, e.g. {@code http_503}),
 * with {@link java.util.concurrent.TimeoutException} when no answer came within the driver's timeout, or with an
 * {@link java.io.IOException} when the connection broke.
 */
public interface KvDriver extends AutoCloseable {

    /** Writes {@code value} at {@code key}; completes once durable and replicated. */
    CompletionStage<Void> put(String key, byte[] value);

    /** Reads {@code key} at the configured consistency level; completes with null if absent. */
    CompletionStage<byte[]> get(String key);

    @Override
    void close();

    /** A failure the driver classified, so results can count errors by kind. */
    final class KvError extends Exception {
        private final String kind;

        public KvError(String kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }

        public String kind() {
            return kind;
        }
    }
}
