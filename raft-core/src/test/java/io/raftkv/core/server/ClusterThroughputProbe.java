package io.raftkv.core.server;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.raftkv.core.server.RegisterStateMachine.bytes;

/**
 * Prints proposal throughput of a 3-node in-process cluster with a simulated fsync cost, and how big the group
 * commits get. A measurement, not a test: it asserts nothing and runs only with {@code -Dbench=true}:
 * <pre>mvn -B -q -pl raft-core test -Dtest=ClusterThroughputProbe -Dbench=true</pre>
 * The numbers go to target/surefire-reports/*ClusterThroughputProbe-output.txt.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class ClusterThroughputProbe {

    @Test
    void throughput() throws Exception {
        for (long fsyncMicros : new long[] {0, 200, 2000}) {
            for (int window : new int[] {1, 64, 1024}) {
                run(fsyncMicros, window);
            }
        }
    }

    private void run(long fsyncMicros, int window) throws Exception {
        RaftServerOptions options = RaftServerOptions.defaults().withMaxPending(window + 1, 64L << 20);
        try (LocalCluster c = new LocalCluster(3, 42, options).startAll()) {
            c.logs.values().forEach(l -> l.syncDelayNanos = fsyncMicros * 1000);
            RaftServer leader = c.awaitLeader();
            Semaphore inFlight = new Semaphore(window);
            AtomicLong done = new AtomicLong();
            byte[] command = bytes("x".repeat(100));
            long warmupEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            long end = warmupEnd + TimeUnit.SECONDS.toNanos(2);
            long startCount = -1;
            while (System.nanoTime() < end) {
                if (startCount < 0 && System.nanoTime() >= warmupEnd) {
                    startCount = done.get();
                }
                if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                leader.propose(command).whenComplete((r, e) -> {
                    done.incrementAndGet();
                    inFlight.release();
                });
            }
            long ops = done.get() - Math.max(0, startCount);
            inFlight.acquire(window); // drain before closing
            DistributionSummary batch = c.registry.find("raft.fsync.batch.entries").tag("node", leader.id()).summary();
            Timer latency = c.registry.find("raft.proposal.latency").tag("node", leader.id()).timer();
            System.out.printf("fsync=%5d us window=%5d : %8.0f proposals/s, leader fsync batch mean %.1f max %.0f,"
                            + " proposal latency mean %.2f ms%n", fsyncMicros, window, ops / 2.0,
                    batch == null ? 0 : batch.mean(), batch == null ? 0 : batch.max(),
                    latency == null ? 0 : latency.mean(TimeUnit.MILLISECONDS));
        }
    }
}
