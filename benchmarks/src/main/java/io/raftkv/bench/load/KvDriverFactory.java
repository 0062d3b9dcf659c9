package io.raftkv.bench.load;

import java.time.Duration;

/**
 * Makes the {@link KvDriver}s of one load-generator run for one kind of store, selected by {@code --driver}
 * and found with {@link java.util.ServiceLoader}, so a driver with heavy dependencies (etcd's gRPC stack) can
 * live in its own module and jar. A factory owns what its drivers share (an HTTP client, a gRPC channel per
 * endpoint) and releases it in {@link #close()}.
 */
public interface KvDriverFactory extends AutoCloseable {

    /** The {@code --driver} name, e.g. {@code raftkv} or {@code etcd}. */
    String name();

    /**
     * A driver for one client thread, pinned to {@code endpoint} (host:port).
     *
     * @param readLevel {@code linearizable}, {@code lease} or {@code stale}; a store that has no such level
     *                  throws {@link IllegalArgumentException}
     */
    KvDriver connect(String endpoint, String readLevel, Duration timeout) throws Exception;

    @Override
    void close();
}
