package io.raftkv.fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mutation check: with {@code -Draftkv.unsafe.localLinearizableReads=true} the servers answer "linearizable"
 * reads from their own state machine without ReadIndex. A lagging follower, a resumed paused node or a leader cut
 * off in a minority then serves stale values, and the harness must say so — otherwise its green runs prove
 * nothing.
 */
class UnsafeLocalReadsIT {

    @Test
    @Timeout(240)
    void harnessReportsAViolationWhenReadsSkipReadIndex() throws Exception {
        RunResult r = null;
        // Pauses and partitions make followers and deposed leaders lag; two runs at most, so this stays bounded.
        for (int attempt = 0; attempt < 2 && (r == null || !r.linearizabilityViolated()); attempt++) {
            RunConfig config = RunConfig.of("mutation-local-reads-" + attempt, Harness.jar(), Harness.out(), 3,
                    Duration.ofSeconds(10), Harness.seed() + 7 + attempt)
                    .withFaults(List.of(FaultKind.PAUSE, FaultKind.PARTITION)).withUnsafeLocalReads();
            r = new FaultRun(config).run();
            System.out.println(r.oneLine());
        }
        assertTrue(r.linearizabilityViolated(), "the harness did not notice linearizable reads served without "
                + "ReadIndex: " + r.oneLine());
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("NOT linearizable without lease reads")),
                "the violation must not be blamed on lease reads: " + r.problems());
    }
}
