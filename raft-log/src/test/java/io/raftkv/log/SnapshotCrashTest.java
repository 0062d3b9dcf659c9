package io.raftkv.log;

import io.raftkv.core.storage.SnapshotStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 a child JVM ({@link SnapshotCrashChild}) that writes 16 MiB snapshots back to back, at random moments —
 * half of the rounds right after it reported being half-way through a snapshot — then reopen the
 * {@link FileSnapshotStore} here and check: the newest snapshot is at least the last one the child reported
 * committed, it passes its checksum (the store verifies the newest on open) and holds exactly the bytes written,
 * and no temp file of the interrupted write is left. 6 rounds by default; {@code -Dsoak=true} runs 40 (or
 * {@code -Dcrash.rounds=N}).
 */
class SnapshotCrashTest {
    private static final long SNAPSHOT_BYTES = 16L << 20;

    @TempDir
    Path tmp;

    @Test
    void killDashNineDuringASnapshotWrite_leavesThePreviousSnapshotUsable() throws Exception {
        int rounds = Integer.getInteger("crash.rounds", Boolean.getBoolean("soak") ? 40 : 6);
        long seed = Long.getLong("crash.seed", System.nanoTime());
        SplittableRandom rnd = new SplittableRandom(seed);
        Path dir = Files.createDirectories(tmp.resolve("snapshots"));
        long committed = 0;
        long next = 1;
        int midWrite = 0;
        for (int round = 1; round <= rounds; round++) {
            String context = "seed=" + seed + " round=" + round + " (rerun: -Dcrash.seed=" + seed + ")";
            ChildJvm child = Child.start(dir, next, SNAPSHOT_BYTES, 30_000);
            if (round % 2 == 0) {
                // Right after it reported half a snapshot: the kill lands in the middle of the data or its fsync.
                child.awaitLine("HALF", 30_000);
            } else {
                child.awaitLine("OPEN", 30_000);
                Thread.sleep(rnd.nextInt(1500));
            }
            child.process.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.process.waitFor(30, TimeUnit.SECONDS), context);
            child.drain();
            assertTrue(child.process.exitValue() != 2, context + ": child failed by itself: " + child.stderr());
            for (String line : child.lines) {
                String[] f = line.split(" ");
                if (f[0].equals("COMMITTED")) {
                    committed = Long.parseLong(f[1]);
                }
                if (f[0].equals("BEGIN")) {
                    next = Long.parseLong(f[1]) + 1; // never reuse an index: a half-written one may exist as temp
                }
            }
            // The output cannot tell: a commit may have finished just before the kill, before its line was printed.
            // A temp file left behind can: the kill interrupted a write.
            if (!temps(dir).isEmpty()) {
                midWrite++;
            }

            FileSnapshotStore store = new FileSnapshotStore(dir, 2);
            assertEquals(List.of(), temps(dir), context + ": temp files removed on open");
            if (store.latest().isEmpty()) {
                assertEquals(0, committed, context + ": snapshot " + committed + " was committed, none is left");
                continue; // killed before the first snapshot was committed: nothing to check yet
            }
            long newest = store.latest().orElseThrow().lastIncludedIndex();
            assertTrue(newest >= committed, context + ": newest " + newest + " < committed " + committed);
            try (SnapshotStore.Source src = store.openLatest().orElseThrow()) {
                assertEquals(SNAPSHOT_BYTES, src.size(), context);
                verifyBytes(newest, src, context);
            }
            committed = Math.max(committed, newest); // kill -9 keeps the page cache: a commit may beat its print
        }
        System.out.println("snapshot crash test: seed " + seed + ", " + rounds + " rounds, " + midWrite
                + " kills mid-write, newest snapshot " + committed);
        assertTrue(committed > 0, "the child never committed a snapshot");
        assertTrue(midWrite > 0, "no kill landed mid-write (seed " + seed + ")");
    }

    /** Compares the snapshot's bytes block by block with what the child wrote (never the whole file in heap). */
    private static void verifyBytes(long index, SnapshotStore.Source src, String context) throws IOException {
        byte[] expected = new byte[SnapshotCrashChild.BLOCK];
        byte[] actual = new byte[SnapshotCrashChild.BLOCK];
        try (InputStream in = src.open(0)) {
            for (long b = 0; b < SNAPSHOT_BYTES / SnapshotCrashChild.BLOCK; b++) {
                SnapshotCrashChild.fill(index, b, expected);
                assertEquals(actual.length, in.readNBytes(actual, 0, actual.length), context + ": block " + b);
                if (!Arrays.equals(expected, actual)) {
                    assertArrayEquals(expected, actual, context + ": snapshot " + index + " block " + b);
                }
            }
            assertEquals(-1, in.read(), context + ": trailing bytes");
        }
    }

    /** Temp files of snapshot writes; the recycled file (a pruned snapshot kept to be overwritten) is not one. */
    private static List<Path> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".tmp"))
                    .filter(p -> !p.getFileName().toString().equals("snapshot-recycled.tmp")).toList();
        }
    }

    /** A child JVM running {@link SnapshotCrashChild}, its stdout collected line by line. */
    /** The crash child: a {@link SnapshotCrashChild} JVM. */
    private static final class Child {
        private Child() {
        }

        static ChildJvm start(Path dir, long firstIndex, long size, long maxMillis) throws IOException {
            // 32 MiB of heap for 16 MiB snapshots: the store streams, it never holds one in memory.
            return ChildJvm.start("snapshot-crash-child", List.of("-Xmx32m"), SnapshotCrashChild.class,
                    List.of(dir.toString(), Long.toString(firstIndex), Long.toString(size), Long.toString(maxMillis)),
                    dir.getParent());
        }
    }
}
