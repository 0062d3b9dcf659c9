package io.raftkv.fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bank's checks bite: one run with both of the bank's mutations, each of which one check must report.
 * <ul>
 *   <li>Transfers as two requests (the debit with the log row, then the credit on its own): a reader that comes
 *       between them sees the total short, and a credit lost to a fault leaves it short for good — "torn".</li>
 *   <li>Reads at {@code level=none}: each node answers from its own state, which trails the transfers the leader
 *       already answered (and a paused, killed or cut-off node trails by seconds) — "stale".</li>
 * </ul>
 * Two runs at most, so this stays bounded.
 */
class SqlBankMutationIT {

    @Test
    @Timeout(300)
    void splitTransfersTearReadsAndLocalReadsAreStale_andTheBankSaysSo() throws Exception {
        RunResult r = null;
        for (int attempt = 0; attempt < 2 && (r == null || !reportsBoth(r)); attempt++) {
            RunConfig config = RunConfig.bank("sql-bank-mutation-" + attempt, Harness.jar(), Harness.out(), 3,
                    Duration.ofSeconds(12), Harness.seed() + 21 + attempt)
                    .withFaults(List.of(FaultKind.KILL, FaultKind.PAUSE, FaultKind.PARTITION));
            config = config.withBank(config.bank().mutated(true, "none"));
            r = new FaultRun(config).run();
            System.out.println(r.oneLine());
        }
        assertTrue(r.bank() != null && r.bank().tornReads() > 0 && torn(r),
                "transfers split in two requests tore no read, so the total check proves nothing: " + r.oneLine());
        assertTrue(r.bank().staleReads() > 0 && stale(r),
                "reads at level=none were never stale, so the freshness check proves nothing: " + r.oneLine());
    }

    private static boolean reportsBoth(RunResult r) {
        return torn(r) && stale(r);
    }

    private static boolean torn(RunResult r) {
        return r.problems().stream().anyMatch(p -> p.contains("saw a torn ledger"));
    }

    private static boolean stale(RunResult r) {
        return r.problems().stream().anyMatch(p -> p.contains("were stale"));
    }
}
