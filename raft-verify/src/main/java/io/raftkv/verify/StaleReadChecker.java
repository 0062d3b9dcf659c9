package io.raftkv.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The checks that hold for every read, including stale reads ({@code ?level=stale}, served from any node's local
 * state), which linearizability does not cover. Every OK {@link OpKind#READ} and {@link OpKind#STALE_READ} is
 * checked; linearizable reads pass these trivially when the store is correct.
 *
 * <h2>1. No value out of thin air (always checked)</h2>
 * A read that returned {@code v != null} is fine only if some operation that may have written {@code v} to the
 * same key — a WRITE or a CAS with outcome OK (a CAS only if it swapped) or UNKNOWN — was invoked no later than
 * the read completed. A read of {@code null} (absent) is always fine: a node may lag arbitrarily, back to the
 * initial empty state. This catches corrupted values, values from another key, FAILed writes that were applied
 * after all, and reads from the future.
 *
 * <h2>2. Monotonic reads per session (optional, on by default)</h2>
 * A <em>session</em> is (process, {@link Operation#node()}, key). Within a session, a read {@code r2} invoked after
 * a read {@code r1} completed must not return an older value than {@code r1} did, where "older" is only what real
 * time proves: it is a violation when <b>every</b> operation that may have written {@code r2}'s value (the
 * initial state counts for {@code null}) completed with outcome OK before <b>every</b> operation that may have
 * written {@code r1}'s value was invoked. Raft orders the log consistently with real time for acknowledged
 * operations (§5.3, §8: a write acknowledged before another was invoked has the lower log index), and one node
 * applies its log in index order, so a single node's state only moves forward — no false alarms from a correct
 * store, whatever the values. Values need not be unique; unique values make the check sharper.
 *
 * <p>The guarantee holds only while the session's reads are served by <b>one node that does not restart</b>: a
 * different node may lag more, and a restarted node replays from its snapshot with a volatile commitIndex
 * (Figure 2) and may serve older state than it did before the crash. So a harness that sends a client's stale
 * reads to several nodes must record {@code node}, and should label a restarted node anew (e.g. {@code n2#1}). If
 * it cannot, switch this check off ({@link #valuesOnly()}).
 *
 * <p>Not checked: read-your-writes (a stale read on a lagging follower need not see the client's own write) and
 * any bound on staleness.
 */
public final class StaleReadChecker {
    private final boolean monotonicReads;

    /** Both checks. */
    public StaleReadChecker() {
        this(true);
    }

    private StaleReadChecker(boolean monotonicReads) {
        this.monotonicReads = monotonicReads;
    }

    /** Only the "no value out of thin air" check. */
    public static StaleReadChecker valuesOnly() {
        return new StaleReadChecker(false);
    }

    /**
     * The result.
     *
     * @param readsChecked OK reads examined
     * @param anomalies    what was found, in the order of the offending reads' ids
     */
    public record Result(int readsChecked, List<StaleReadAnomaly> anomalies) {
        public Result {
            anomalies = List.copyOf(anomalies);
        }

        public boolean ok() {
            return anomalies.isEmpty();
        }

        public String report() {
            StringBuilder sb = new StringBuilder();
            sb.append(ok() ? "OK" : "VIOLATION").append(": ").append(readsChecked).append(" reads checked, ")
                    .append(anomalies.size()).append(" anomalies\n");
            for (StaleReadAnomaly a : anomalies) {
                sb.append(a.explanation()).append('\n');
            }
            return sb.toString();
        }
    }

    /** Checks every OK read of {@code history}. */
    public Result check(History history) {
        long origin = history.origin();
        List<StaleReadAnomaly> anomalies = new ArrayList<>();
        int reads = 0;
        for (Map.Entry<String, List<Operation>> e : history.byKey().entrySet()) {
            Writers writers = new Writers(e.getValue());
            List<Operation> keyReads = e.getValue().stream()
                    .filter(op -> op.kind().isRead() && op.outcome() == Outcome.OK).toList();
            reads += keyReads.size();
            List<Operation> explained = new ArrayList<>();
            for (Operation read : keyReads) {
                StaleReadAnomaly anomaly = thinAir(read, writers, origin);
                if (anomaly != null) {
                    anomalies.add(anomaly);
                } else {
                    explained.add(read);
                }
            }
            if (monotonicReads) {
                Map<String, List<Operation>> sessions = new HashMap<>();
                for (Operation read : explained) {
                    sessions.computeIfAbsent(read.process() + "@" + read.node(), s -> new ArrayList<>()).add(read);
                }
                for (List<Operation> session : sessions.values()) {
                    monotonic(session, writers, origin, anomalies);
                }
            }
        }
        anomalies.sort(Comparator.comparingLong(a -> a.read().id()));
        return new Result(reads, anomalies);
    }

    private static StaleReadAnomaly thinAir(Operation read, Writers writers, long origin) {
        if (read.output() == null) {
            return null;
        }
        List<Operation> candidates = writers.of(read.output());
        if (candidates.stream().anyMatch(w -> w.invokedAt() <= read.completedAt())) {
            return null;
        }
        String why;
        if (!candidates.isEmpty()) {
            why = "its only writers were invoked after the read completed, e.g. "
                    + OpFormat.describe(candidates.get(0), origin);
        } else if (writers.everSetBy(read.output())) {
            why = "it was only written by operations that did not take effect (FAIL, or a CAS that did not swap)";
        } else {
            why = "no operation ever wrote it to this key";
        }
        return new StaleReadAnomaly.ValueFromNowhere(read, OpFormat.describe(read, origin)
                + "\n  returned a value out of thin air: " + why);
    }

    /**
     * Runs the session's reads in invocation order. {@code floor} is the latest "earliest possible writer
     * invocation" among reads that completed before the current read was invoked: a later read's value must have
     * a possible writer that did not definitely finish before that point.
     */
    private static void monotonic(List<Operation> session, Writers writers, long origin,
                                  List<StaleReadAnomaly> anomalies) {
        List<Operation> byInvocation = new ArrayList<>(session);
        byInvocation.sort(Comparator.comparingLong(Operation::invokedAt).thenComparingLong(Operation::id));
        PriorityQueue<Operation> running = new PriorityQueue<>(Comparator.comparingLong(Operation::completedAt));
        long floor = Long.MIN_VALUE;
        Operation floorRead = null;
        for (Operation read : byInvocation) {
            while (!running.isEmpty() && running.peek().completedAt() < read.invokedAt()) {
                Operation done = running.poll();
                long earliest = writers.earliestInvocation(done.output(), done.completedAt());
                if (earliest > floor) {
                    floor = earliest;
                    floorRead = done;
                }
            }
            if (floorRead != null && writers.latestCompletion(read.output(), read.completedAt()) < floor) {
                Operation earlier = floorRead;
                anomalies.add(new StaleReadAnomaly.ReadWentBack(read, earlier, OpFormat.describe(read, origin)
                        + "\n  went back in time: the same session had already read " + OpFormat.value(
                        earlier.output()) + " in " + OpFormat.describe(earlier, origin)
                        + "\n  and every write of " + OpFormat.value(read.output())
                        + " completed before any write of " + OpFormat.value(earlier.output()) + " was invoked"));
            }
            running.add(read);
        }
    }

    /** The operations that may have set each value of one key. */
    private static final class Writers {
        private final Map<String, List<Operation>> byValue = new HashMap<>();
        private final Map<String, Boolean> attempted = new HashMap<>();

        Writers(List<Operation> keyOps) {
            for (Operation op : keyOps) {
                if (op.kind() == OpKind.WRITE || op.kind() == OpKind.CAS) {
                    attempted.put(op.value(), true);
                }
                if (op.mayHaveWritten()) {
                    byValue.computeIfAbsent(op.value(), v -> new ArrayList<>()).add(op);
                }
            }
        }

        List<Operation> of(String value) {
            return byValue.getOrDefault(value, List.of());
        }

        boolean everSetBy(String value) {
            return attempted.containsKey(value);
        }

        /**
         * The earliest invocation among the writers of {@code value} a read completing at {@code readCompleted}
         * could have seen; {@link Long#MIN_VALUE} for {@code null} (the initial state).
         */
        long earliestInvocation(String value, long readCompleted) {
            if (value == null) {
                return Long.MIN_VALUE;
            }
            return of(value).stream().filter(w -> w.invokedAt() <= readCompleted)
                    .mapToLong(Operation::invokedAt).min().orElse(Long.MIN_VALUE);
        }

        /**
         * The latest completion among the writers of {@code value} a read completing at {@code readCompleted}
         * could have seen: {@link Long#MAX_VALUE} if one of them has an unknown outcome, {@link Long#MIN_VALUE}
         * for {@code null} written by nothing but the initial state.
         */
        long latestCompletion(String value, long readCompleted) {
            long latest = Long.MIN_VALUE;
            for (Operation w : of(value)) {
                if (w.invokedAt() <= readCompleted) {
                    latest = Math.max(latest, w.isUnknown() ? Long.MAX_VALUE : w.completedAt());
                }
            }
            if (value != null && latest == Long.MIN_VALUE) {
                // No possible writer (a thin-air read, reported separately): prove nothing about order.
                return Long.MAX_VALUE;
            }
            return latest;
        }
    }

    @Override
    public String toString() {
        return "StaleReadChecker[monotonicReads=" + monotonicReads + "]";
    }
}
