package io.raftkv.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Records a history while client threads run against the store. Thread-safe and cheap: an invocation costs a clock
 * read, an atomic increment and a map insert; a completion a clock read, a map removal and a queue append.
 *
 * <p>Usage from a client thread (one {@link Client} per client thread; a client has one operation in flight):
 * <pre>{@code
 * HistoryRecorder.Client c = recorder.client(3, "n1");
 * HistoryRecorder.Call call = c.write("k1", "v42");   // takes the invocation time
 * switch (httpStatus) {
 *     case 204 -> call.ok();                           // takes the completion time
 *     case 503 -> call.fail();                         // definitely not applied
 *     default  -> call.unknown();                      // 504, timeout, reset: may or may not have been applied
 * }
 * }</pre>
 * Take the invocation before the request leaves and complete right after the answer arrives: the checker trusts
 * that the operation took effect inside that interval, so a too-narrow interval makes false violations.
 *
 * <p>{@link #history()} may be called at any time; operations still in flight then appear as {@link
 * Outcome#UNKNOWN} (a client thread that died mid-request must not make the history unusable).
 */
public final class HistoryRecorder {
    private final LongSupplier clock;
    private final AtomicLong nextId = new AtomicLong();
    private final ConcurrentLinkedQueue<Operation> completed = new ConcurrentLinkedQueue<>();
    private final ConcurrentHashMap<Long, Call> inFlight = new ConcurrentHashMap<>();

    /** A recorder on {@link System#nanoTime()}. */
    public HistoryRecorder() {
        this(System::nanoTime);
    }

    /** A recorder on the given monotonic clock (tests pass a fake one). */
    public HistoryRecorder(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A recording view for one client (process). */
    public Client client(int process) {
        return new Client(process, null);
    }

    /** A recording view for one client that sends its requests to {@code node}. */
    public Client client(int process, String node) {
        return new Client(process, node);
    }

    /**
     * Records an invocation now. {@code expected} is for CAS only, {@code value} for WRITE and CAS.
     *
     * @return the call to complete exactly once with its outcome
     */
    public Call invoke(int process, String node, String key, OpKind kind, String expected, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        if (kind != OpKind.CAS && expected != null) {
            throw new IllegalArgumentException(kind + " has no expected value");
        }
        if (kind.isRead() && value != null) {
            throw new IllegalArgumentException(kind + " has no value to write");
        }
        Call call = new Call(nextId.getAndIncrement(), process, node, key, kind, expected, value,
                clock.getAsLong());
        inFlight.put(call.id, call);
        return call;
    }

    /** Number of calls invoked and not yet completed. */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * The history so far. Calls still in flight are included as UNKNOWN with the current time as the time the
     * client gave up; they stay in flight and may still be completed, and a later snapshot will show that.
     */
    public History history() {
        // Order matters: a completing call is appended to `completed` before it leaves `inFlight`. Reading
        // `inFlight` first and `completed` second therefore sees every call at least once; a call seen in both
        // is reported as completed.
        long now = clock.getAsLong();
        List<Call> pending = new ArrayList<>(inFlight.values());
        Map<Long, Operation> ops = new HashMap<>();
        for (Operation op : completed) {
            ops.put(op.id(), op);
        }
        for (Call call : pending) {
            ops.putIfAbsent(call.id, call.operation(Math.max(now, call.invokedAt), Outcome.UNKNOWN, null, null));
        }
        return new History(new ArrayList<>(ops.values()));
    }

    /** Convenience for one client: invocations that carry its process id and node. Not shared between threads. */
    public final class Client {
        private final int process;
        private final String node;

        private Client(int process, String node) {
            this.process = process;
            this.node = node;
        }

        public int process() {
            return process;
        }

        /** A linearizable read of {@code key}. Complete with {@link Call#okRead}. */
        public Call read(String key) {
            return invoke(process, node, key, OpKind.READ, null, null);
        }

        /** A stale read of {@code key}. Complete with {@link Call#okRead}. */
        public Call staleRead(String key) {
            return invoke(process, node, key, OpKind.STALE_READ, null, null);
        }

        /** A write ({@code value == null}: delete). Complete with {@link Call#ok}. */
        public Call write(String key, String value) {
            return invoke(process, node, key, OpKind.WRITE, null, value);
        }

        /** A compare-and-set. Complete with {@link Call#okCas}. */
        public Call cas(String key, String expected, String value) {
            return invoke(process, node, key, OpKind.CAS, expected, value);
        }
    }

    /** One invoked operation awaiting its outcome. Complete it exactly once. */
    public final class Call {
        private final long id;
        private final int process;
        private final String node;
        private final String key;
        private final OpKind kind;
        private final String expected;
        private final String value;
        private final long invokedAt;
        private final AtomicBoolean done = new AtomicBoolean();

        private Call(long id, int process, String node, String key, OpKind kind, String expected, String value,
                     long invokedAt) {
            this.id = id;
            this.process = process;
            this.node = node;
            this.key = key;
            this.kind = kind;
            this.expected = expected;
            this.value = value;
            this.invokedAt = invokedAt;
        }

        public long id() {
            return id;
        }

        /** A write completed successfully. */
        public void ok() {
            requireKind(OpKind.WRITE, "ok()");
            complete(Outcome.OK, null, null);
        }

        /** A read completed and returned {@code output} ({@code null}: the key was absent). */
        public void okRead(String output) {
            if (!kind.isRead()) {
                throw new IllegalStateException("okRead on a " + kind);
            }
            complete(Outcome.OK, output, null);
        }

        /** A compare-and-set completed: {@code swapped} false is the 409 answer. */
        public void okCas(boolean swapped) {
            requireKind(OpKind.CAS, "okCas()");
            complete(Outcome.OK, null, swapped);
        }

        /** The operation definitely did not take effect (e.g. 503 "not applied"). */
        public void fail() {
            complete(Outcome.FAIL, null, null);
        }

        /** The outcome is unknown (timeout, 504, connection reset): it may take effect at any later time. */
        public void unknown() {
            complete(Outcome.UNKNOWN, null, null);
        }

        private void requireKind(OpKind required, String method) {
            if (kind != required) {
                throw new IllegalStateException(method + " on a " + kind);
            }
        }

        private void complete(Outcome outcome, String output, Boolean swapped) {
            long completedAt = clock.getAsLong();
            if (!done.compareAndSet(false, true)) {
                throw new IllegalStateException("operation " + id + " completed twice");
            }
            completed.add(operation(Math.max(completedAt, invokedAt), outcome, output, swapped));
            inFlight.remove(id);
        }

        private Operation operation(long completedAt, Outcome outcome, String output, Boolean swapped) {
            return new Operation(id, process, node, key, kind, expected, value, invokedAt, completedAt, outcome,
                    output, swapped);
        }
    }
}
