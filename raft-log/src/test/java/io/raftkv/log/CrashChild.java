package io.raftkv.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The process {@link CrashRecoveryTest} kills: appends and syncs in a loop with term {@code args[1]}, printing
 * {@code SYNCED <lastIndex> <term>} after each sync returned, so every printed index is acknowledged. Bounded: it
 * stops by itself after {@code args[3]} ms in case nobody kills it. Odd terms run with segment preallocation.
 */
public final class CrashChild {
    static final int MAX_PAYLOAD = 600;
    static final int KEEP_ENTRIES = 1500;

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long term = Long.parseLong(args[1]);
        long segmentBytes = Long.parseLong(args[2]);
        long deadline = System.currentTimeMillis() + Long.parseLong(args[3]);
        PrintStream out = System.out;
        try (ChronicleLogStore log = ChronicleLogStore.open(ChronicleLogOptions
                .builder(dir, new SimpleMeterRegistry()).blockSize(TestLogs.SMALL_BLOCK).segmentBytes(segmentBytes)
                .preallocate(term % 2 == 1).build())) { // odd rounds: kills also hit segment preallocation
            out.println("OPEN " + log.firstIndex() + " " + log.lastIndex());
            out.flush();
            SplittableRandom rnd = new SplittableRandom(term);
            for (int batch = 0; System.currentTimeMillis() < deadline; batch++) {
                int n = 1 + rnd.nextInt(30);
                log.append(TestLogs.batch(log.lastIndex() + 1, n, term, MAX_PAYLOAD));
                log.sync();
                out.println("SYNCED " + log.lastIndex() + " " + term);
                out.flush();
                if (batch % 50 == 49 && log.lastIndex() > KEEP_ENTRIES) {
                    // What a snapshot would allow: keeps the number of segment files bounded.
                    log.compactPrefix(log.lastIndex() - KEEP_ENTRIES);
                }
            }
        } catch (Throwable t) {
            System.err.println("CHILD FAILED: " + t);
            t.printStackTrace();
            System.exit(2);
        }
    }
}
