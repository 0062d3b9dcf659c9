package io.raftkv.bench.etcd;

import io.etcd.jetcd.Client;
import io.raftkv.bench.load.KvDriver;
import io.raftkv.bench.load.KvDriverFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --driver etcd}: one jetcd {@link Client} (one gRPC/HTTP-2 connection) per endpoint, shared by the
 * clients pinned to that endpoint, as etcd's own benchmark tool shares connections between clients. Each client
 * talks only to its endpoint, like the raftkv driver; etcd followers forward proposals to the leader themselves.
 */
public final class EtcdDriverFactory implements KvDriverFactory {
    private final Map<String, Client> clients = new LinkedHashMap<>();

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public synchronized KvDriver connect(String endpoint, String readLevel, Duration timeout) {
        boolean serializable = switch (readLevel) {
            // etcd's default Range is linearizable (serializable=false): a ReadIndex round through the leader.
            case "linearizable" -> false;
            // a serializable Range answers from the member's local store: possibly stale.
            case "stale" -> true;
            default -> throw new IllegalArgumentException("etcd has no read level '" + readLevel
                    + "' (use linearizable or stale)");
        };
        Client client = clients.computeIfAbsent(endpoint, e -> Client.builder()
                .endpoints("http://" + e)
                .connectTimeout(timeout)
                .build());
        return new EtcdDriver(client.getKVClient(), serializable, timeout);
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(Client::close);
        clients.clear();
    }
}
