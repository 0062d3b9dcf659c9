package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 a child JVM that appends and syncs in a loop, at random moments (during JVM start and recovery, mid
 * batch, mid segment roll: segments are tiny so rolls are frequent), then check that every index it reported
 * synced is there with the right term and bytes, and that appending continues. 20 rounds by default;
 * {@code -Dsoak=true} runs 300 (or {@code -Dcrash.rounds=N}).
 */
class CrashRecoveryTest {
    private static final long SEGMENT_BYTES = 16 << 10; // a roll every ~50 entries, every 2-4 batches

    @TempDir
    Path tmp;

    @Test
    void everySyncedEntrySurvivesKillDashNine() throws Exception {
        int rounds = Integer.getInteger("crash.rounds", Boolean.getBoolean("soak") ? 300 : 20);
        long seed = Long.getLong("crash.seed", System.nanoTime());
        SplittableRandom rnd = new SplittableRandom(seed);
        Path dir = Files.createDirectories(tmp.resolve("log"));
        long[] expectedTerm = new long[1 << 16];
        long maxSynced = 0;
        long observedLast = 0;
        int killedBeforeOpen = 0;
        for (int round = 1; round <= rounds; round++) {
            long term = round;
            ChildJvm child = Child.start(dir, term, SEGMENT_BYTES, 20_000);
            boolean early = rnd.nextInt(4) == 0;
            if (early) {
                // Anywhere from JVM start through recovery and the first appends.
                Thread.sleep(rnd.nextInt(1500));
            } else {
                child.awaitLine("OPEN", 30_000);
                Thread.sleep(rnd.nextInt(300));
            }
            child.process.destroyForcibly(); // SIGKILL on Linux
            child.process.waitFor(30, TimeUnit.SECONDS);
            child.drain();
            String context = "seed=" + seed + " round=" + round + " (rerun: -Dcrash.seed=" + seed + ")";
            int exit = child.process.exitValue();
            assertTrue(exit != 2 && exit != 0, context + ": child failed by itself (exit " + exit + "): " + child.stderr());
            long openLast = -1;
            for (String line : child.lines) {
                String[] f = line.split(" ");
                if (f[0].equals("OPEN")) {
                    openLast = Long.parseLong(f[2]);
                    // The child must find exactly what the parent saw after the previous kill.
                    assertEquals(observedLast, openLast, context + ": child opened at a different last index");
                } else if (f[0].equals("SYNCED")) {
                    long synced = Long.parseLong(f[1]);
                    if (synced >= expectedTerm.length) {
                        expectedTerm = Arrays.copyOf(expectedTerm, (int) synced * 2);
                    }
                    Arrays.fill(expectedTerm, (int) openLast + 1, (int) synced + 1, Long.parseLong(f[2]));
                    openLast = synced;
                    maxSynced = synced;
                }
            }
            if (child.lines.isEmpty()) {
                killedBeforeOpen++;
            }
            if (observedLast >= expectedTerm.length - 1) {
                expectedTerm = Arrays.copyOf(expectedTerm, (int) observedLast * 2 + 2);
            }
            observedLast = verify(dir, maxSynced, expectedTerm, context);
        }
        // Appending continues in this process too.
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            long next = log.lastIndex() + 1;
            log.append(TestLogs.batch(next, 3, rounds + 1, 50));
            log.sync();
            assertEquals(next + 2, log.lastIndex());
        }
        System.out.println("crash test: seed " + seed + ", " + rounds + " rounds, " + maxSynced
                + " entries synced, " + killedBeforeOpen + " kills before the log opened");
        assertTrue(maxSynced > 0, "the child never synced anything");
    }

    /**
     * Checks the log and returns its last index. Entries after the last synced one may have survived (kill -9
     * keeps the page cache); they must be intact, and from now on they are part of the log the next child
     * extends, so their terms become expected too.
     */
    private static long verify(Path dir, long maxSynced, long[] expectedTerm, String context) throws IOException {
        try (ChronicleLogStore log = TestLogs.open(dir)) {
            assertTrue(log.lastIndex() >= maxSynced, context + ": lastIndex " + log.lastIndex() + " < synced " + maxSynced);
            for (long i = log.firstIndex(); i <= log.lastIndex(); ) {
                List<LogEntry> chunk = log.entries(i, log.lastIndex() + 1, 1 << 20);
                for (LogEntry e : chunk) {
                    assertEquals(i, e.index(), context);
                    if (i <= maxSynced) {
                        assertEquals(expectedTerm[(int) i], e.term(), context + ": term of synced entry " + i);
                    } else if (i < expectedTerm.length) {
                        expectedTerm[(int) i] = e.term();
                    }
                    // Unsynced entries may survive (kill -9 keeps the page cache), but intact.
                    assertArrayEquals(TestLogs.entry(i, e.term(), CrashChild.MAX_PAYLOAD).data(), e.data(),
                            context + ": bytes of entry " + i);
                    i++;
                }
            }
            return log.lastIndex();
        }
    }

    @Test
    void missingJvmFlagFailsAtOpenNamingTheFlag() throws Exception {
        List<String> flags = new ArrayList<>(Child.chronicleFlags());
        flags.removeIf(f -> f.startsWith("--add-opens=java.base/java.lang.reflect"));
        ChildJvm child = Child.start(tmp.resolve("noflags"), 1, SEGMENT_BYTES, 5_000, flags);
        assertTrue(child.process.waitFor(60, TimeUnit.SECONDS), "child did not exit");
        child.drain();
        assertEquals(2, child.process.exitValue(), child.stderr());
        assertTrue(child.stderr().contains("--add-opens=java.base/java.lang.reflect=ALL-UNNAMED"), child.stderr());
        assertTrue(child.lines.isEmpty(), "must fail before opening: " + child.lines);
    }

    /** A child JVM running {@link CrashChild}, its stdout collected line by line. */
    /** The crash child: a {@link CrashChild} JVM. */
    private static final class Child {
        private Child() {
        }

        /** The Chronicle flags this JVM got (surefire's argLine), passed on to the child. */
        static List<String> chronicleFlags() {
            List<String> out = new ArrayList<>();
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle.")) {
                    out.add(a);
                }
            }
            return out;
        }

        static ChildJvm start(Path dir, long term, long segmentBytes, long maxMillis) throws IOException {
            return start(dir, term, segmentBytes, maxMillis, chronicleFlags());
        }

        static ChildJvm start(Path dir, long term, long segmentBytes, long maxMillis, List<String> flags)
                throws IOException {
            List<String> jvm = new ArrayList<>(List.of("-Xmx256m"));
            jvm.addAll(flags);
            return ChildJvm.start("crash-child", jvm, CrashChild.class, List.of(dir.toString(), Long.toString(term),
                    Long.toString(segmentBytes), Long.toString(maxMillis)), dir.getParent());
        }
    }
}
