package io.raftkv.fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20's bank under the fault harness: 3 servers running the SQL state machine ({@code serve --state-machine
 * sql}), transfer clients on every node moving money in {@code ?transaction}s (resent with the same transfer id after
 * every unknown outcome), readers reading all balances at {@code level=strong} through random nodes, while the nemesis
 * kills, pauses, restarts all and partitions (partitions only with iptables) for 40 s. Every read must show the exact
 * total and every transfer answered before it; at the end the ledger must replay from its transfer log, hold every
 * answered transfer and nothing unsent, and every node's database digest must be equal (see {@link BankWorkload}).
 */
class SqlBankFaultIT {

    @Test
    @Timeout(420)
    void transfersUnderFaultsNeverChangeTheTotalNorTearAStrongRead() throws Exception {
        RunConfig config = RunConfig.bank("sql-bank-3-nodes", Harness.jar(), Harness.out(), 3, Duration.ofSeconds(40),
                Harness.seed() + 20)
                .withFaults(List.of(FaultKind.KILL, FaultKind.PAUSE, FaultKind.RESTART_ALL, FaultKind.PARTITION));
        RunResult r = new FaultRun(config).run();
        System.out.println(r.oneLine());
        assertTrue(r.ok(), r.oneLine() + "\n(details in " + r.dir().resolve("summary.txt") + ")");
        int faults = r.faults().values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(faults >= 4, "the nemesis injected only " + faults + " faults: " + r.oneLine());
        assertTrue(r.bank() != null && r.bank().applied() > 50 && r.bank().reads() > 50,
                "too few transfers or reads to mean anything: " + r.oneLine());
    }
}
