package io.raftkv.server.resp;

import io.raftkv.core.Role;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.kv.KvLimits;
import io.raftkv.kv.KvStateMachine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link RespBackend} without Raft: proposals are applied to a {@link KvStateMachine} in order, queries answered
 * from it. {@link #hold} keeps the next futures incomplete until {@link #release}, {@link #failWith} fails them.
 */
final class LocalBackend implements RespBackend {
    final KvStateMachine kv;
    private long index;
    private boolean holding;
    private final List<Runnable> held = new ArrayList<>();
    private Supplier<Throwable> failure;
    final List<Integer> proposeBatches = new ArrayList<>();
    final List<Integer> readBatches = new ArrayList<>();
    volatile RaftStatus status = new RaftStatus("n1", Role.LEADER, 3, "n1", 7, 7, 7,
            List.of(new RaftStatus.MemberStatus("n1", "127.0.0.1:7001", true, 7L)), 0, true);

    LocalBackend(KvLimits limits) {
        kv = new KvStateMachine(limits);
    }

    LocalBackend() {
        this(KvLimits.DEFAULT);
    }

    /** Futures from now on stay incomplete until {@link #release()}. */
    void hold() {
        holding = true;
    }

    /** Completes everything held, in order, and stops holding. */
    void release() {
        holding = false;
        List<Runnable> all = new ArrayList<>(held);
        held.clear();
        all.forEach(Runnable::run);
    }

    /** Futures from now on fail with what {@code f} makes (null: succeed again). */
    void failWith(Supplier<Throwable> f) {
        failure = f;
    }

    @Override
    public synchronized List<CompletableFuture<byte[]>> proposeAll(List<byte[]> commands) {
        proposeBatches.add(commands.size());
        List<CompletableFuture<byte[]>> out = new ArrayList<>();
        for (byte[] c : commands) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            out.add(f);
            run(f, () -> kv.apply(++index, c));
        }
        return out;
    }

    @Override
    public synchronized List<CompletableFuture<byte[]>> readAll(List<byte[]> queries, ReadLevel level) {
        readBatches.add(queries.size());
        List<CompletableFuture<byte[]>> out = new ArrayList<>();
        for (byte[] q : queries) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            out.add(f);
            run(f, () -> kv.query(q));
        }
        return out;
    }

    private void run(CompletableFuture<byte[]> f, Supplier<byte[]> work) {
        Runnable r = failure != null ? () -> f.completeExceptionally(failure.get()) : () -> f.complete(work.get());
        if (holding) {
            held.add(r);
        } else {
            r.run();
        }
    }

    @Override
    public RaftStatus status() {
        return status;
    }
}
