package io.raftkv.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Generates histories the way the fault-injection harness will record them, from a simulated store whose
 * behaviour we control: sequential clients issue overlapping reads, writes and compare-and-sets with random
 * durations; each operation takes effect at a random instant inside its interval (which is what a linearizable
 * store guarantees); some time out (UNKNOWN: applied or not, possibly long after the client gave up) or fail.
 * A {@link Fault} makes the store deliberately wrong in one way.
 */
final class RegisterSimulation {

    /** How the simulated store misbehaves. */
    enum Fault {
        /** A correct, linearizable store. */
        NONE,
        /** Occasionally a read returns the value before the latest one (a read served by a lagging replica). */
        STALE_READ,
        /** Occasionally an acknowledged write is not applied. */
        LOST_WRITE,
        /** Occasionally a write is applied a second time, a while later (a retried proposal applied twice). */
        DUPLICATE_WRITE,
        /** Occasionally a compare-and-set swaps although the value did not match. */
        CAS_IGNORES_EXPECTED
    }

    /** Knobs of one simulation. */
    record Config(int clients, int keys, int operations, double unknownRate, double failRate, Fault fault,
                  double faultRate) {
        static Config of(int clients, int keys, int operations) {
            return new Config(clients, keys, operations, 0.05, 0.03, Fault.NONE, 0.0);
        }

        Config withFault(Fault f, double rate) {
            return new Config(clients, keys, operations, unknownRate, failRate, f, rate);
        }

        Config withUnknownRate(double rate) {
            return new Config(clients, keys, operations, rate, failRate, fault, faultRate);
        }
    }

    /** One planned operation; its results are filled in when the store applies it. */
    private static final class Planned {
        long id;
        int process;
        String key;
        OpKind kind;
        String expected;
        String value;
        long invokedAt;
        long completedAt;
        Outcome outcome;
        String output;
        Boolean swapped;

        Operation toOperation() {
            return new Operation(id, process, null, key, kind, expected, value, invokedAt, completedAt, outcome,
                    outcome == Outcome.OK ? output : null, outcome == Outcome.OK ? swapped : null);
        }
    }

    /** A moment at which the store applies an operation. */
    private record Effect(long at, long seq, Planned op, boolean duplicate) {
    }

    private RegisterSimulation() {
    }

    static History generate(long seed, Config config) {
        return new Run(seed, config).run();
    }

    /** One simulation: clients invoke in time order; the store applies effects as time passes. */
    private static final class Run {
        private final SplittableRandom random;
        private final Config config;
        private final PriorityQueue<Effect> effects = new PriorityQueue<>((a, b) -> a.at != b.at
                ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        private final Map<String, String> store = new HashMap<>();
        private final Map<String, String> previous = new HashMap<>();
        /** Values each client has seen per key, so that its CASes usually expect something plausible. */
        private final List<Map<String, String>> lastSeen = new ArrayList<>();
        private long seq;

        Run(long seed, Config config) {
            this.random = new SplittableRandom(seed);
            this.config = config;
        }

        History run() {
            List<Planned> planned = new ArrayList<>();
            long[] clientClock = new long[config.clients()];
            for (int c = 0; c < config.clients(); c++) {
                lastSeen.add(new HashMap<>());
                clientClock[c] = random.nextInt(10);
            }
            for (int i = 0; i < config.operations(); i++) {
                int client = 0;
                for (int c = 1; c < config.clients(); c++) {
                    if (clientClock[c] < clientClock[client]) {
                        client = c;
                    }
                }
                // clientClock holds each client's next invocation time, so operations are planned in invocation
                // order and the store never has to apply an effect earlier than one it already applied.
                Planned op = plan(i, client, clientClock[client]);
                clientClock[client] = op.completedAt + random.nextInt(5);
                planned.add(op);
            }
            while (!effects.isEmpty()) {
                apply(effects.poll());
            }
            List<Operation> ops = new ArrayList<>();
            for (Planned op : planned) {
                if (op.outcome == Outcome.OK && op.kind == OpKind.CAS && op.swapped == null) {
                    throw new IllegalStateException("CAS " + op.id + " was never applied");
                }
                ops.add(op.toOperation());
            }
            return new History(ops);
        }

        private Planned plan(long id, int client, long invokedAt) {
            while (!effects.isEmpty() && effects.peek().at <= invokedAt) {
                apply(effects.poll());
            }
            Planned op = new Planned();
            op.id = id;
            op.process = client;
            op.key = "k" + random.nextInt(config.keys());
            int k = random.nextInt(100);
            op.kind = k < 45 ? OpKind.READ : k < 75 ? OpKind.WRITE : OpKind.CAS;
            if (op.kind != OpKind.READ) {
                op.value = random.nextInt(20) == 0 ? null : "v" + id;
            }
            if (op.kind == OpKind.CAS) {
                op.expected = random.nextInt(5) == 0 ? null : lastSeen.get(client).get(op.key);
            }
            op.invokedAt = invokedAt;
            op.completedAt = invokedAt + 1 + random.nextInt(30);
            double o = random.nextDouble();
            op.outcome = o < config.unknownRate() ? Outcome.UNKNOWN
                    : o < config.unknownRate() + config.failRate() ? Outcome.FAIL : Outcome.OK;
            if (op.outcome == Outcome.OK) {
                long point = op.invokedAt + random.nextLong(op.completedAt - op.invokedAt + 1);
                effects.add(new Effect(point, seq++, op, false));
            } else if (op.outcome == Outcome.UNKNOWN && random.nextBoolean()) {
                // Applied, possibly well after the client gave up waiting.
                effects.add(new Effect(op.invokedAt + random.nextInt(200), seq++, op, false));
            }
            return op;
        }

        private void apply(Effect e) {
            Planned op = e.op;
            boolean faulty = config.fault() != Fault.NONE && random.nextDouble() < config.faultRate();
            String current = store.get(op.key);
            switch (op.kind) {
                case READ -> {
                    op.output = faulty && config.fault() == Fault.STALE_READ ? previous.get(op.key) : current;
                    lastSeen.get(op.process).put(op.key, op.output);
                }
                case WRITE -> {
                    if (faulty && config.fault() == Fault.LOST_WRITE && op.outcome == Outcome.OK && !e.duplicate) {
                        return;
                    }
                    if (faulty && config.fault() == Fault.DUPLICATE_WRITE && !e.duplicate) {
                        effects.add(new Effect(e.at + 20 + random.nextInt(100), seq++, op, true));
                    }
                    set(op.key, op.value);
                }
                case CAS -> {
                    boolean matches = Objects.equals(current, op.expected);
                    boolean swap = matches || (faulty && config.fault() == Fault.CAS_IGNORES_EXPECTED);
                    op.swapped = swap;
                    if (swap) {
                        set(op.key, op.value);
                    } else {
                        lastSeen.get(op.process).put(op.key, current); // a 409 carries the current value
                    }
                }
                default -> throw new IllegalStateException(op.kind.toString());
            }
        }

        private void set(String key, String value) {
            previous.put(key, store.get(key));
            if (value == null) {
                store.remove(key);
            } else {
                store.put(key, value);
            }
        }
    }
}
