package io.raftkv.sim;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * What the simulated clients send <em>your</em> state machine, instead of the built-in {@code c1}, {@code c2}, …
 * (which a real state machine can only reject). Hand it to {@link Simulator#Simulator(SimConfig, Workload)}:
 * <pre>{@code
 * Workload ledger = Workload.of(
 *         random -> encode(random.nextBoolean() ? deposit(random) : transfer(random)), // commands
 *         random -> encode(balanceOf(random)))                                         // queries
 *     .classifiedBy((command, result) -> decode(result).kind(),                          // tally "transfer: short funds"
 *                   (query, answer) -> "balance")
 *     .withDigest(encode(new TotalOfAllAccounts()));                                     // compared across servers
 * new Simulator(SimConfig.defaults(3).withStateMachine(Ledger::new), ledger).verifySeeds(0, 200);
 * }</pre>
 *
 * <ul>
 *   <li>Each command a client proposes comes from {@link #command}; each read the simulator serves (ReadIndex
 *       reads once applied, lease reads at once) runs {@link #query} on that node's state machine.</li>
 *   <li>Results are tallied by the kind {@link #commandKind} / {@link #queryKind} names (each log index counted
 *       once, however many servers apply it); {@link Simulator#verifySeeds} prints the tally, so a run shows what
 *       it exercised — a tally of nothing but errors is a workload that tests nothing.</li>
 *   <li>If {@link #digestQuery} is given, the simulator asks it of a node's state machine after every snapshot,
 *       every restore, every {@link #digestEvery()}-th applied index and at the end of the run: two nodes at the
 *       same applied index must answer alike (State Machine Safety of the <em>state</em>, §5.4.3, beyond the
 *       per-entry results the checker always compares). A broken {@code restore} shows up right there.</li>
 * </ul>
 * The generators draw from a {@link SplittableRandom} of their own, split from the run's seed, so a seed replays
 * exactly ({@link Simulator#replay}) and the fault schedule is the one the seed gives without a workload.
 */
public interface Workload {

    /** The next command a client proposes. */
    byte[] command(SplittableRandom random);

    /** The next query to run when a read is served, or null for none. */
    default byte[] query(SplittableRandom random) {
        return null;
    }

    /** The kind of an applied command's result, for the tally (keep the set of kinds small). */
    default String commandKind(byte[] command, byte[] result) {
        return "applied";
    }

    /** The kind of a query's answer, for the tally. */
    default String queryKind(byte[] query, byte[] answer) {
        return "answered";
    }

    /** A query whose answer is a function of the state alone (a digest of it), or null for none. */
    default byte[] digestQuery() {
        return null;
    }

    /** Besides snapshots, restores and the end of the run: compare the digest at every index divisible by this. */
    default int digestEvery() {
        return 25;
    }

    /** How a command appears in traces. */
    default String describe(byte[] command) {
        return MessageFormat.data(command);
    }

    /** A workload from a command generator and a query generator (null for no queries). */
    static Workload of(Function<SplittableRandom, byte[]> commands, Function<SplittableRandom, byte[]> queries) {
        Objects.requireNonNull(commands, "commands");
        return new Workload() {
            @Override
            public byte[] command(SplittableRandom random) {
                return commands.apply(random);
            }

            @Override
            public byte[] query(SplittableRandom random) {
                return queries == null ? null : queries.apply(random);
            }
        };
    }

    /**
     * A workload of text commands and queries (UTF-8; null from {@code queries} for none), for a state machine that
     * speaks a line protocol (raft-core's {@code TextStateMachine}). Its tally names a kind by the first word of the
     * command or query and {@code ok}, or the whole answer when that starts with {@code error}: e.g.
     * {@code transfer: ok}, {@code transfer: error: short funds}. Keep error texts free of data (account names,
     * amounts) so that the kinds stay few, or name them yourself with {@link #classifiedBy}.
     */
    static Workload ofText(Function<SplittableRandom, String> commands, Function<SplittableRandom, String> queries) {
        Objects.requireNonNull(commands, "commands");
        return new Workload() {
            @Override
            public byte[] command(SplittableRandom random) {
                return text(commands.apply(random));
            }

            @Override
            public byte[] query(SplittableRandom random) {
                String q = queries == null ? null : queries.apply(random);
                return q == null ? null : text(q);
            }

            @Override
            public String commandKind(byte[] command, byte[] result) {
                return textKind(command, result);
            }

            @Override
            public String queryKind(byte[] query, byte[] answer) {
                return textKind(query, answer);
            }

            @Override
            public String describe(byte[] command) {
                return new String(command, StandardCharsets.UTF_8);
            }
        };
    }

    /** {@link #ofText}'s kinds: the request's first word, then {@code ok} or the error answer. */
    private static String textKind(byte[] request, byte[] answer) {
        String r = new String(request, StandardCharsets.UTF_8).strip();
        int space = r.indexOf(' ');
        String a = new String(answer, StandardCharsets.UTF_8);
        return (space < 0 ? r : r.substring(0, space)) + ": " + (a.startsWith("error") ? a : "ok");
    }

    /** This workload, with the tally's kinds named by {@code commandKinds} and {@code queryKinds}. */
    default Workload classifiedBy(java.util.function.BiFunction<byte[], byte[], String> commandKinds,
                                  java.util.function.BiFunction<byte[], byte[], String> queryKinds) {
        Workload base = this;
        return new Delegating(base) {
            @Override
            public String commandKind(byte[] command, byte[] result) {
                return commandKinds.apply(command, result);
            }

            @Override
            public String queryKind(byte[] query, byte[] answer) {
                return queryKinds.apply(query, answer);
            }
        };
    }

    /** This workload, with {@code query} as its {@link #digestQuery()} asked every {@code every} indexes. */
    default Workload withDigest(byte[] query, int every) {
        if (every < 1) {
            throw new IllegalArgumentException("every must be >= 1");
        }
        byte[] copy = query.clone();
        return new Delegating(this) {
            @Override
            public byte[] digestQuery() {
                return copy.clone();
            }

            @Override
            public int digestEvery() {
                return every;
            }
        };
    }

    /** {@link #withDigest(byte[], int)} for a text query (UTF-8). */
    default Workload withDigest(String query, int every) {
        return withDigest(text(query), every);
    }

    /** Text as the command bytes (UTF-8), for workloads whose commands are text. */
    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Forwards everything to another workload; override what differs. */
    class Delegating implements Workload {
        private final Workload base;

        public Delegating(Workload base) {
            this.base = Objects.requireNonNull(base, "base");
        }

        @Override
        public byte[] command(SplittableRandom random) {
            return base.command(random);
        }

        @Override
        public byte[] query(SplittableRandom random) {
            return base.query(random);
        }

        @Override
        public String commandKind(byte[] command, byte[] result) {
            return base.commandKind(command, result);
        }

        @Override
        public String queryKind(byte[] query, byte[] answer) {
            return base.queryKind(query, answer);
        }

        @Override
        public byte[] digestQuery() {
            return base.digestQuery();
        }

        @Override
        public int digestEvery() {
            return base.digestEvery();
        }

        @Override
        public String describe(byte[] command) {
            return base.describe(command);
        }
    }
}
