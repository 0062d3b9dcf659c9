package io.raftkv.bench.snapshot;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.SnapshotInfo;
import io.raftkv.kv.KvStateMachine;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The follower JVM of {@link SnapshotBench}: starts an empty server (it waits to be added as a learner), and
 * reports on stdout how its heap behaves while it receives the leader's snapshot over InstallSnapshot and restores
 * it. Phases: {@code baseline} (started, after a full GC), {@code download} (first chunk received until the
 * snapshot is durable in its FileSnapshotStore), {@code restore} (until the state machine has applied it),
 * {@code steady} (after a full GC, the state loaded). For each phase it prints the highest heap in use sampled
 * every millisecond (garbage included) and the highest heap in use right after a GC (the live set then).
 *
 * <p>Args: {@code dir raftAddress}. Prints {@code READY}, then one {@code RESULT key=value ...} line, then exits.
 */
public final class SnapshotFollower {
    private SnapshotFollower() {
    }

    /** Highest heap used sampled / right after a GC, since the last reset. */
    private static final AtomicLong maxUsed = new AtomicLong();
    private static final AtomicLong maxAfterGc = new AtomicLong();
    private static final AtomicLong gcs = new AtomicLong();

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String address = args[1];
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        listenToGcs();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KvStateMachine sm = new KvStateMachine();
        RaftServer server = BenchNode.start("n2", dir, address, Configuration.EMPTY, sm, registry);
        Counter received = registry.get("raft.install.snapshot.bytes").tag("direction", "received").counter();
        System.gc();
        long baseline = memory.getHeapMemoryUsage().getUsed();
        System.out.println("READY");
        System.out.flush();

        // Waiting: nothing happens until the leader adds us; the download starts with its first chunk.
        long giveUp = System.nanoTime() + 120_000_000_000L;
        while (received.count() == 0) {
            if (System.nanoTime() > giveUp) {
                // E.g. the leader's log still starts at 1 (compaction frees whole 48 MiB segments): it sent entries.
                System.out.println("NO-SNAPSHOT no InstallSnapshot within 120 s; applied " + sm.lastAppliedIndex());
                System.exit(3);
            }
            Thread.sleep(1);
        }
        reset();
        long t0 = System.nanoTime();
        while (server.status().lastSnapshot() == null) {
            sample(memory);
            Thread.sleep(1);
        }
        long downloadMs = (System.nanoTime() - t0) / 1_000_000;
        long downloadMax = maxUsed.get();
        long downloadMaxAfterGc = maxAfterGc.get();
        long downloadGcs = gcs.get();
        SnapshotInfo info = server.status().lastSnapshot();
        reset();
        long t1 = System.nanoTime();
        while (sm.lastAppliedIndex() < info.index()) {
            sample(memory);
            Thread.sleep(1);
        }
        long restoreMs = (System.nanoTime() - t1) / 1_000_000;
        long restoreMax = maxUsed.get();
        long restoreMaxAfterGc = maxAfterGc.get();
        long restoreGcs = gcs.get();
        System.gc();
        long steady = memory.getHeapMemoryUsage().getUsed();
        MemoryUsage heap = memory.getHeapMemoryUsage();
        System.out.printf("RESULT bytes=%d index=%d downloadMs=%d installMs=%d restoreMs=%d keys=%d baselineMB=%.1f"
                        + " downloadMaxUsedMB=%.1f downloadMaxAfterGcMB=%.1f downloadGcs=%d restoreMaxUsedMB=%.1f"
                        + " restoreMaxAfterGcMB=%.1f restoreGcs=%d steadyMB=%.1f maxHeapMB=%.1f%n",
                info.bytes(), info.index(), downloadMs, info.duration().toMillis(), restoreMs, sm.size(),
                mb(baseline), mb(downloadMax), mb(downloadMaxAfterGc), downloadGcs, mb(restoreMax),
                mb(restoreMaxAfterGc), restoreGcs, mb(steady), mb(heap.getMax()));
        System.out.flush();
        server.close();
        System.exit(0);
    }

    private static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    private static void reset() {
        maxUsed.set(0);
        maxAfterGc.set(0);
        gcs.set(0);
    }

    private static void sample(MemoryMXBean memory) {
        maxUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
    }

    /** After every GC: the heap in use once it finished, summed over the pools (the live set at that moment). */
    private static void listenToGcs() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
                if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                    return;
                }
                GarbageCollectionNotificationInfo info =
                        GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                long used = 0;
                for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (!pool.getKey().contains("Metaspace") && !pool.getKey().contains("Code")
                            && !pool.getKey().contains("Compressed")) {
                        used += pool.getValue().getUsed();
                    }
                }
                maxAfterGc.accumulateAndGet(used, Math::max);
                gcs.incrementAndGet();
            }, null, null);
        }
    }
}
