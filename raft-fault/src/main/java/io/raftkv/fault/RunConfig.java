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
 * @param protocol          what the clients speak: HTTP, RESP, or both (odd clients RESP), into one history
 */
public record RunConfig(String name, Path jar, Path outDir, int nodes, int clientsPerNode, int keys,
                        Duration duration, long seed, List<FaultKind> faults, boolean unsafeLocalReads,
                        Duration clientTimeout, Duration leaderBound, Workload.ClientProtocol protocol) {
    public RunConfig {
        faults = List.copyOf(faults);
        java.util.Objects.requireNonNull(protocol, "protocol");
        if (nodes < 1 || clientsPerNode < 1 || keys < 1) {
            throw new IllegalArgumentException("nodes, clientsPerNode and keys must be positive");
        }
    }

    /**
     * The defaults of the CI run: 2 clients per node (one over HTTP, one over RESP), 5 keys, every fault, 2 s client
     * timeout, 20 s bound.
     */
    public static RunConfig of(String name, Path jar, Path outDir, int nodes, Duration duration, long seed) {
        return new RunConfig(name, jar, outDir, nodes, 2, 5, duration, seed, List.of(FaultKind.values()), false,
                Duration.ofSeconds(2), Duration.ofSeconds(20), Workload.ClientProtocol.MIXED);
    }

    public RunConfig withFaults(List<FaultKind> f) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, f, unsafeLocalReads,
                clientTimeout, leaderBound, protocol);
    }

    public RunConfig withUnsafeLocalReads() {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, true,
                clientTimeout, leaderBound, protocol);
    }

    public RunConfig withProtocol(Workload.ClientProtocol p) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, unsafeLocalReads,
                clientTimeout, leaderBound, p);
    }
}
