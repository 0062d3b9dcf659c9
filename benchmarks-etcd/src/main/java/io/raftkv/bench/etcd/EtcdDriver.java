package io.raftkv.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import io.raftkv.bench.load.KvDriver;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Drives etcd's v3 KV API through jetcd: {@code Put} (acknowledged once committed by a majority and applied,
 * each member having fsynced its WAL) and {@code Range} at the configured consistency, asynchronously: the load
 * generator starts a client's next call from the previous one's completion, exactly as with the raftkv driver.
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
    public CompletionStage<Void> put(String key, byte[] value) {
        return classified(kv.put(bytes(key), ByteSequence.from(value)).thenApply(r -> null));
    }

    @Override
    public CompletionStage<byte[]> get(String key) {
        return classified(kv.get(bytes(key), getOption).thenApply(
                r -> r.getKvs().isEmpty() ? null : r.getKvs().get(0).getValue().getBytes()));
    }

    private <T> CompletableFuture<T> classified(CompletableFuture<T> call) {
        CompletableFuture<T> out = new CompletableFuture<>();
        call.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
            } else {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                out.completeExceptionally(cause instanceof TimeoutException ? cause : classify(cause));
            }
        });
        return out;
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
