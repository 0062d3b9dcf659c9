package io.raftkv.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import io.raftkv.bench.load.KvDriver;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Drives etcd's v3 KV API through jetcd: {@code Put} (acknowledged once committed by a majority and applied,
 * each member having fsynced its WAL) and {@code Range} at the configured consistency. Blocks on each call, so
 * the load generator's client threads stay closed-loop exactly as with the raftkv driver.
 */
final class EtcdDriver implements KvDriver {
    private final KV kv;
    private final GetOption getOption;
    private final long timeoutMillis;

    EtcdDriver(KV kv, boolean serializable, Duration timeout) {
        this.kv = kv;
        this.getOption = GetOption.builder().withSerializable(serializable).build();
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public void put(String key, byte[] value) throws Exception {
        await(kv.put(bytes(key), ByteSequence.from(value)));
    }

    @Override
    public byte[] get(String key) throws Exception {
        GetResponse r = await(kv.get(bytes(key), getOption));
        return r.getKvs().isEmpty() ? null : r.getKvs().get(0).getValue().getBytes();
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw classify(e.getCause());
        }
    }

    /** Maps a failed call to an error kind (the gRPC status code when there is one) for the result's error counts. */
    private static Exception classify(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            Status s = Status.fromThrowable(t);
            if (s.getCode() != Status.Code.UNKNOWN) {
                return new KvError("grpc_" + s.getCode().name().toLowerCase(), String.valueOf(s.getDescription()));
            }
        }
        return new KvError(cause.getClass().getSimpleName(), String.valueOf(cause.getMessage()));
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        // the jetcd Client is shared per endpoint and closed by EtcdDriverFactory
    }
}
