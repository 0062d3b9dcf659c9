package io.raftkv.examples.ledger;

import io.raftkv.sim.SimConfig;
import io.raftkv.sim.Simulator;
import io.raftkv.sim.Workload;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/**
 * The ledger under the simulator's seeded faults (crashes, partitions, lost and reordered messages, snapshots),
 * running the ledger's own commands: every server must reach the same result for every entry and the same state
 * (digest) at the same index. {@code -Dledger.sim.seeds=N} runs more seeds.
 */
class LedgerSimulationTest {
    private static final String[] NAMES = {"alice", "bob", "carol", "dave"};

    static final Workload LEDGER = Workload.ofText(random -> switch (random.nextInt(10)) {
        case 0, 1 -> "open " + name(random);
        case 2, 3, 4 -> "deposit " + name(random) + " " + (1 + random.nextInt(100));
        default -> "transfer " + name(random) + " " + name(random) + " " + (1 + random.nextInt(150));
    }, random -> random.nextInt(4) == 0 ? "total" : "balance " + name(random)).withDigest("digest", 10);

    private static String name(SplittableRandom random) {
        return NAMES[random.nextInt(NAMES.length)];
    }

    @Test
    void everyServerAgreesOnEveryResultAndBalance() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(Ledger::new), LEDGER);
        sim.verifySeeds(0, Long.getLong("ledger.sim.seeds", 60));
        sim.tally().assertApplied("open: ok", "open: error: account exists", "deposit: ok", "transfer: ok",
                "transfer: error: short funds", "transfer: error: no such account").assertAnswered("balance: ok", "total: ok");
    }
}
