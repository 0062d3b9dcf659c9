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
 * @param bank              a bank run ({@link BankWorkload}) on the SQL state machine instead of the register and
 *                          counter workloads on the KV store, or null; a bank run ignores {@code clientsPerNode},
 *                          {@code keys}, {@code protocol} and has no counters
 */
public record RunConfig(String name, Path jar, Path outDir, int nodes, int clientsPerNode, int keys,
                        Duration duration, long seed, List<FaultKind> faults, boolean unsafeLocalReads,
                        Duration clientTimeout, Duration leaderBound, Counters counters,
                        Workload.ClientProtocol protocol, Bank bank) {
    public RunConfig {
        faults = List.copyOf(faults);
        java.util.Objects.requireNonNull(protocol, "protocol");
        if (bank != null && (counters != null || unsafeLocalReads)) {
            throw new IllegalArgumentException("a bank run has no counter workload and no unsafe-reads switch");
        }
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
     * The bank workload of a run: transfers between accounts in an SQL table, and readers of all balances.
     *
     * @param transferClientsPerNode transfer clients starting at each node
     * @param readersPerNode         reader threads per node (each reads through random nodes)
     * @param accounts               number of accounts (few: transfers collide)
     * @param openingBalance         each account's balance at the start; the total is {@code accounts} times this
     * @param splitTransfers         the mutation: debit and credit as two requests, not one transaction
     * @param readLevel              the readers' {@code level}: {@code strong} (linearizable); {@code none} is the
     *                               mutation that reads each node's own, possibly stale, state
     */
    public record Bank(int transferClientsPerNode, int readersPerNode, int accounts, long openingBalance,
                       boolean splitTransfers, String readLevel) {
        public Bank {
            if (transferClientsPerNode < 1 || readersPerNode < 1 || accounts < 2 || openingBalance < 1) {
                throw new IllegalArgumentException("a bank needs clients, readers, two accounts and money");
            }
            java.util.Objects.requireNonNull(readLevel, "readLevel");
        }

        /** 2 transfer clients and 1 reader per node, 8 accounts of 1,000, transactions, strong reads. */
        public static Bank standard() {
            return new Bank(2, 1, 8, 1_000, false, "strong");
        }

        /** The mutation checks: transfers as two requests, and/or reads at {@code level}. */
        public Bank mutated(boolean split, String level) {
            return new Bank(transferClientsPerNode, readersPerNode, accounts, openingBalance, split, level);
        }
    }

    /**
     * The defaults of the CI run: 2 clients per node (one over HTTP, one over RESP), 5 keys, every fault, 2 s client
     * timeout, 20 s bound; and one counter client per node on 2 counters, with sessions, 1 s per try.
     */
    public static RunConfig of(String name, Path jar, Path outDir, int nodes, Duration duration, long seed) {
        return new RunConfig(name, jar, outDir, nodes, 2, 5, duration, seed, List.of(FaultKind.values()), false,
                Duration.ofSeconds(2), Duration.ofSeconds(20), new Counters(1, 2, true, Duration.ofSeconds(1)),
                Workload.ClientProtocol.MIXED, null);
    }

    /**
     * A bank run on the SQL state machine ({@code serve --state-machine sql}): {@link Bank#standard()}, the faults
     * KILL, PAUSE, RESTART_ALL and PARTITION (not the disk faults: SQLite failing a write for want of space stops
     * the server by design, see sql-statemachine's README), 2 s client timeout, 20 s bound.
     */
    public static RunConfig bank(String name, Path jar, Path outDir, int nodes, Duration duration, long seed) {
        return new RunConfig(name, jar, outDir, nodes, 1, 1, duration, seed,
                List.of(FaultKind.KILL, FaultKind.PAUSE, FaultKind.RESTART_ALL, FaultKind.PARTITION), false,
                Duration.ofSeconds(2), Duration.ofSeconds(20), null, Workload.ClientProtocol.HTTP, Bank.standard());
    }

    /** The state machine plugin the servers run: {@code sql} for a bank run, else the KV store. */
    public String stateMachine() {
        return bank != null ? "sql" : ServerProcesses.KV;
    }

    public RunConfig withFaults(List<FaultKind> f) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, f, unsafeLocalReads,
                clientTimeout, leaderBound, counters, protocol, bank);
    }

    public RunConfig withUnsafeLocalReads() {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, true,
                clientTimeout, leaderBound, counters, protocol, bank);
    }

    public RunConfig withProtocol(Workload.ClientProtocol p) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, unsafeLocalReads,
                clientTimeout, leaderBound, counters, p, bank);
    }

    /** Another bank workload (e.g. a mutated one). */
    public RunConfig withBank(Bank b) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, unsafeLocalReads,
                clientTimeout, leaderBound, counters, protocol, b);
    }

    /** Another counter workload (null: none). */
    public RunConfig withCounters(Counters c) {
        return new RunConfig(name, jar, outDir, nodes, clientsPerNode, keys, duration, seed, faults, unsafeLocalReads,
                clientTimeout, leaderBound, c, protocol, bank);
    }
}
