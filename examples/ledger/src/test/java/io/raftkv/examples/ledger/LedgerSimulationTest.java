package io.raftkv.examples.ledger;

import io.raftkv.sim.SimConfig;
import io.raftkv.sim.Simulator;
import io.raftkv.sim.Workload;
import io.raftkv.sim.WorkloadTally;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ledger under the simulator's seeded faults (crashes, partitions, lost and reordered messages, snapshots),
 * running the ledger's own commands: every server must reach the same result for every entry and the same state
 * at the same index. {@code -Dledger.sim.seeds=N} runs more seeds.
 */
class LedgerSimulationTest {
    private static final String[] NAMES = {"alice", "bob", "carol", "dave"};

    static final Workload LEDGER = Workload.of(LedgerSimulationTest::command,
                    random -> text(random.nextInt(4) == 0 ? "total" : "balance " + name(random)))
            .classifiedBy((command, result) -> words(command)[0] + ": " + outcome(result),
                    (query, answer) -> words(query)[0] + ": " + outcome(answer))
            .withDigest(text("digest"), 10);

    private static byte[] command(SplittableRandom random) {
        int pick = random.nextInt(10);
        String c = pick < 2 ? "open " + name(random)
                : pick < 5 ? "deposit " + name(random) + " " + (1 + random.nextInt(100))
                : "transfer " + name(random) + " " + name(random) + " " + (1 + random.nextInt(150));
        return text(c);
    }

    private static String name(SplittableRandom random) {
        return NAMES[random.nextInt(NAMES.length)];
    }

    /** "ok" for any success, else the error without the account's name (a small set of kinds). */
    private static String outcome(byte[] result) {
        String r = new String(result, StandardCharsets.UTF_8);
        return r.startsWith("error: no account") ? "error: no account"
                : r.startsWith("error") ? r : "ok";
    }

    private static String[] words(byte[] b) {
        return new String(b, StandardCharsets.UTF_8).split(" ");
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyServerAgreesOnEveryResultAndBalance() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(Ledger::new), LEDGER);
        sim.verifySeeds(0, Long.getLong("ledger.sim.seeds", 60));
        WorkloadTally t = sim.tally();
        for (String kind : new String[]{"open: ok", "deposit: ok", "transfer: ok", "transfer: error: short funds",
                "open: error: account exists"}) {
            assertTrue(t.commands().getOrDefault(kind, 0L) > 0, "no '" + kind + "' applied: " + t.report());
        }
        assertTrue(t.queries().getOrDefault("balance: ok", 0L) > 0 && t.queries().getOrDefault("total: ok", 0L) > 0,
                t.report());
        assertTrue(t.digestsCompared() > 0, t.report());
    }
}
