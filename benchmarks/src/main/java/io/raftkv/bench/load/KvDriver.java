package io.raftkv.bench.load;

/**
 * One client connection to a key-value store under test. The load generator keeps one driver per client
 * thread; implementations need not be thread-safe. Every call blocks until the store answered.
 */
public interface KvDriver extends AutoCloseable {

    /** Writes {@code value} at {@code key}; durable and replicated when it returns normally. */
    void put(String key, byte[] value) throws Exception;

    /** Reads {@code key} at the configured consistency level; null if absent. */
    byte[] get(String key) throws Exception;

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
