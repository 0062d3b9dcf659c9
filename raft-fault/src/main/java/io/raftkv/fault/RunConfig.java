package io.raftkv.fault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One fault-injection run.
 *
 * @param name              directory name under {@code outDir}, also the log prefix
 * @param jar               kv-server's shaded {@code raftkv.jar}
 * @param outDir            where runs keep their summary (and, after a finding, history and node logs)
 * @param nodes             cluster size (3 or 5)
 * @param clientsPerNode    client threads pinned to each node
 * @param keys              size of the key set: small, so that operations collide
 * @param duration          how long the nemesis works (the clients start before and stop after it)
 * @param seed              seeds the clients and the nemesis; printed with every result
 * @param faults            the nemesis's repertoire (empty: no faults); PARTITION needs iptables
 * @param unsafeLocalReads  the mutation: servers answer linearizable reads locally without ReadIndex
 * @param clientTimeout     HTTP response timeout of each client request (then: outcome unknown)
 * @param leaderBound       after the last fault is healed, a leader all nodes agree on must exist within this
 * @param counters          the counter workload ({@link CounterWorkload}) besides the register one, or null for none
 * @param protocol          what the register clients speak: HTTP, RESP, or both (odd clients RESP), into one history
 */
public record RunConfig(String name, Path jar, Path outDir, int nodes, int clientsPerNode, int keys,
                        Duration duration, long seed, List<FaultKind> faults, boolean unsafeLocalReads,
                        Duration clientTimeout, Duration leaderBound, Counters counters,
                        Workload.ClientProtocol protocol) {
    public RunConfig {
        faults = List.copyOf(faults);
        java.util.Objects.requireNonNull(protocol, "protocol");
        if (nodes < 1 || clientsPerNode < 1 || keys < 1) {
            throw new IllegalArgumentException("nodes, clientsPerNode and keys must be positive");
        }
    }

    /**
     * The counter workload of a run.
     *
     * @param clientsPerNode counter clients starting at each node
     * @param counters       how many counters they share (few: increments collide)
     * @param sessions       increments in client sessions (thesis §6.3); false: blind resends (the mutation check)
     * @param timeout        HTTP response timeout of one try (then the outcome is unknown and the CAS is resent)
     */
    public record Counters(int clientsPerNode, int counters, boolean sessions, Duration timeout) {
        public Counters {
            if (clientsPerNode < 1 || counters < 1) {
                throw new IllegalArgumentException("counter clients and counters must be positive");
            }
        }
    }

    /**
     * The defaults of the CI run: 2 clients per node (one over HTTP, one over RESP), 5 keys, every fault, 2 s client
     * timeout, 20 s bound; and one counter client per node on 2 counters, with sessions, 1 s per try.
     */
    public static RunConfig of(String name, Path jar, Path outDir, int nodes, Duration duration, long seed) {
        return new RunConfig(name, jar, outDir, nodes, 2, 5, duration, seed, List.of(FaultKind.values()), false,
                Duration.ofSeconds(2), Duration.ofSeconds(20), new Counters(1, 2, true, Duration.ofSeconds(1)),
                Workload.ClientProtocol.MIXED);
    }

    public RunConfig withFaults(List<FaultKind> f) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, f, unsafeLocalReads,
                clientTimeout, leaderBound, counters, protocol);
    }

    public RunConfig withUnsafeLocalReads() {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, true,
                clientTimeout, leaderBound, counters, protocol);
    }

    public RunConfig withProtocol(Workload.ClientProtocol p) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, unsafeLocalReads,
                clientTimeout, leaderBound, counters, p);
    }

    /** Another counter workload (null: none). */
    public RunConfig withCounters(Counters c) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, unsafeLocalReads,
                clientTimeout, leaderBound, c, protocol);
    }
}
