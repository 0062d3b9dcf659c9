package io.raftkv.bench.load;

import java.net.http.HttpClient;
import java.time.Duration;

/** {@code --driver raftkv}: one JDK {@link HttpClient} (HTTP/1.1, a connection per in-flight request) for all clients. */
public final class RaftkvHttpDriverFactory implements KvDriverFactory {
    private HttpClient http;

    @Override
    public String name() {
        return "raftkv";
    }

    @Override
    public synchronized KvDriver connect(String endpoint, String readLevel, Duration timeout) {
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        }
        return new RaftkvHttpDriver(http, endpoint, readLevel, timeout);
    }

    @Override
    public void close() {
        // JDK 17's HttpClient has no close(); its selector thread is a daemon and ends with the JVM.
    }
}
