package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.NoSpaceException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.raftkv.log.TestLogs.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The log on a full disk and on a failing one: space that cannot be allocated is a {@link NoSpaceException} before
 * anything is written (the log stays at an entry boundary and goes on once space returns); a failed fsync makes
 * the log refuse every later write; and on a real, small file system a full disk never reaches Chronicle's
 * memory-mapped writes (which would crash the JVM with SIGBUS).
 */
class LogDiskFaultTest {
    @TempDir
    Path dir;

    /** The real allocator, which reports a full disk once its budget of allocations is used up. */
    private static final class FullDisk implements SpaceAllocator {
        volatile int allocationsLeft = Integer.MAX_VALUE;
        int refused;

        @Override
        public boolean allocate(Path file, long offset, long length, boolean extendSize, boolean zeroFillAllowed)
                throws IOException {
            if (allocationsLeft <= 0) {
                refused++;
                throw new NoSpaceException("injected: No space left on device", file.getParent(), null);
            }
            allocationsLeft--;
            return SpaceAllocator.DEFAULT.allocate(file, offset, length, extendSize, zeroFillAllowed);
        }
    }

    private ChronicleLogStore open(FullDisk disk, ChronicleLogStore.SegmentSync sync) throws IOException {
        return ChronicleLogStore.open(TestLogs.small(dir).segmentBytes(16 << 10).build(), disk, sync);
    }

    /**
     * Random appends, truncations, resets, syncs and reopens against a list model, with the disk running full at
     * random allocations: every refused operation leaves the log at an entry boundary it reports truthfully, and
     * Chronicle never writes beyond what was allocated.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void fullDiskAtAnyAllocation_stopsAtAnEntryBoundary_andTheLogGoesOnWhenSpaceReturns(long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        FullDisk disk = new FullDisk();
        ChronicleLogStore log = open(disk, ChronicleLogStore.SegmentSync.FDATASYNC);
        List<LogEntry> model = new ArrayList<>(); // entries 1..n (no compaction here)
        long modelFirst = 1;
        long term = 1;
        try {
            for (int op = 0; op < 300; op++) {
                String where = "seed " + seed + ", op " + op;
                disk.allocationsLeft = r.nextInt(3) == 0 ? r.nextInt(2) : Integer.MAX_VALUE;
                int kind = r.nextInt(20);
                long before = log.lastIndex();
                try {
                    if (kind < 14) {
                        List<LogEntry> b = batch(before + 1, 1 + r.nextInt(20), term, 1500);
                        try {
                            log.append(b);
                            model.addAll(b);
                        } catch (NoSpaceException e) {
                            long held = log.lastIndex();
                            assertTrue(held >= before && held < before + b.size(), where + ": held " + held);
                            model.addAll(b.subList(0, (int) (held - before)));
                            disk.allocationsLeft = Integer.MAX_VALUE; // space is back: the rest goes in
                            log.append(b.subList((int) (held - before), b.size()));
                            model.addAll(b.subList((int) (held - before), b.size()));
                        }
                    } else if (kind < 16 && log.lastIndex() >= log.firstIndex()) {
                        long from = log.firstIndex() + r.nextLong(log.lastIndex() - log.firstIndex() + 1);
                        term++;
                        try {
                            log.truncateSuffix(from);
                            model.subList((int) (from - modelFirst), model.size()).clear();
                        } catch (NoSpaceException e) {
                            assertEquals(before, log.lastIndex(), where + ": a refused truncation changed nothing");
                        }
                    } else if (kind < 17) {
                        long at = log.lastIndex() + r.nextInt(5);
                        term++;
                        try {
                            log.reset(at, term - 1);
                            model.clear();
                            modelFirst = at + 1;
                        } catch (NoSpaceException e) {
                            assertEquals(before, log.lastIndex(), where + ": a refused reset changed nothing");
                        }
                    } else if (kind < 19) {
                        log.sync();
                    } else {
                        disk.allocationsLeft = Integer.MAX_VALUE;
                        log.sync();
                        log.close();
                        log = open(disk, ChronicleLogStore.SegmentSync.FDATASYNC);
                    }
                } catch (NoSpaceException e) {
                    fail(where + ": unexpected " + e);
                }
                long[] allocation = log.allocationOfCurrentSegment();
                assertTrue(allocation[0] >= allocation[1], where + ": Chronicle wrote to " + allocation[1]
                        + " beyond the allocated " + allocation[0]);
                // The tail after every operation (a refused one above all), everything now and then.
                assertMatches(log, model, modelFirst, op % 50 == 0 ? Long.MAX_VALUE : 30, where);
            }
            assertTrue(disk.refused > 5, "the disk ran full " + disk.refused + " times");
            log.sync();
            log.close();
            log = open(new FullDisk(), ChronicleLogStore.SegmentSync.FDATASYNC);
            assertMatches(log, model, modelFirst, Long.MAX_VALUE, "seed " + seed + " after reopening");
        } finally {
            log.close();
        }
    }

    /** The log holds the model's entries: the last {@code tail} of them (all with Long.MAX_VALUE). */
    private static void assertMatches(ChronicleLogStore log, List<LogEntry> model, long modelFirst, long tail,
                                      String where) {
        assertEquals(modelFirst - 1 + model.size(), log.lastIndex(), where + ": last index");
        if (!model.isEmpty()) {
            long from = Math.max(Math.max(log.firstIndex(), modelFirst), log.lastIndex() + 1 - tail);
            List<LogEntry> read = log.entries(from, log.lastIndex() + 1, Long.MAX_VALUE);
            assertEquals(model.subList((int) (from - modelFirst), model.size()), read, where + ": entries");
        }
    }

    @Test
    void failedFsync_isNeverRetried_theLogRefusesEveryLaterWrite_andRecoveryKeepsWhatWasDurable() throws IOException {
        AtomicBoolean failing = new AtomicBoolean();
        ChronicleLogStore.SegmentSync sync = ch -> {
            if (failing.get()) {
                throw new IOException("Input/output error");
            }
            ch.force(false);
        };
        ChronicleLogStore log = open(new FullDisk(), sync);
        log.append(batch(1, 10, 1, 100));
        log.sync();
        failing.set(true);
        log.append(batch(11, 5, 1, 100));
        IOException e = assertThrows(IOException.class, log::sync);
        assertTrue(e.getMessage().contains("fdatasync of " + dir) && e.getMessage().contains(".cq4")
                && e.getMessage().contains("Input/output error") && e.getMessage().contains("never retried"),
                e.getMessage());
        failing.set(false); // even a disk that works again: the log cannot know what the failed sync lost
        IOException again = assertThrows(IOException.class, log::sync);
        assertTrue(again.getMessage().contains("never retried"), again.getMessage());
        assertThrows(IOException.class, () -> log.append(batch(16, 1, 1, 100)));
        assertThrows(IOException.class, () -> log.truncateSuffix(5));
        log.close();
        try (ChronicleLogStore reopened = TestLogs.open(dir)) {
            assertTrue(reopened.lastIndex() >= 10, "synced entries survive: " + reopened.lastIndex());
            assertEquals(batch(1, 10, 1, 100), reopened.entries(1, 11, Long.MAX_VALUE));
        }
    }

    // ------------------------------------------------------------------------------------------ real file system

    /**
     * On a real 16 MiB tmpfs (root only; CI runs as root): fill it under the log, append until the log finds no
     * space — a {@link NoSpaceException}, never a SIGBUS that would kill this JVM — check that the hard state and
     * a new log refuse just as clearly, free the space, and carry on: every entry is there after a reopen.
     */
    @Test
    void onARealFullFileSystem_writesFindNoSpaceInsteadOfCrashing_andGoOnWhenSpaceIsFreed() throws Exception {
        Path mount = SmallFileSystem.mountTmpfs("16m");
        try {
            Path logDir = mount.resolve("log");
            ChronicleLogStore log = ChronicleLogStore.open(TestLogs.small(logDir).build());
            FileStableStore stable = new FileStableStore(mount.resolve("state"));
            stable.save(new HardState(1, "n1"));
            Path ballast = mount.resolve("ballast");
            fill(ballast, Files.getFileStore(mount).getUsableSpace() - (2 << 20)); // leave 2 MiB
            List<LogEntry> written = new ArrayList<>();
            NoSpaceException full = null;
            for (int i = 0; i < 10_000 && full == null; i++) {
                List<LogEntry> b = batch(log.lastIndex() + 1, 50, 1, 1000);
                try {
                    log.append(b);
                    log.sync();
                    written.addAll(b);
                } catch (NoSpaceException e) {
                    full = e;
                    written.addAll(b.subList(0, (int) (log.lastIndex() - written.size())));
                }
            }
            assertTrue(full != null, "the log never ran out of space");
            assertTrue(full.getMessage().contains("No space left on device"), full.getMessage());
            log.sync(); // what was appended before the refusal is still durable-able
            assertEquals(written.size(), log.lastIndex());
            // Fill the last pages too: the hard state's temp file and a new log refuse cleanly as well.
            fill(mount.resolve("ballast2"), Long.MAX_VALUE);
            assertThrows(NoSpaceException.class, () -> stable.save(new HardState(2, "n2")));
            assertEquals(new HardState(1, "n1"), new FileStableStore(mount.resolve("state")).load());
            NoSpaceException noOpen = assertThrows(NoSpaceException.class,
                    () -> ChronicleLogStore.open(TestLogs.small(mount.resolve("other")).build()));
            assertTrue(noOpen.getMessage().contains("cannot open the Raft log"), noOpen.getMessage());

            Files.delete(ballast);
            Files.delete(mount.resolve("ballast2"));
            stable.save(new HardState(2, "n2"));
            for (int i = 0; i < 20; i++) {
                List<LogEntry> b = batch(log.lastIndex() + 1, 50, 1, 1000);
                log.append(b);
                written.addAll(b);
            }
            log.sync();
            log.close();
            try (ChronicleLogStore reopened = ChronicleLogStore.open(TestLogs.small(logDir).build())) {
                assertEquals(written.size(), reopened.lastIndex());
                assertEquals(written, reopened.entries(1, reopened.lastIndex() + 1, Long.MAX_VALUE));
            }
            assertEquals(new HardState(2, "n2"), new FileStableStore(mount.resolve("state")).load());
        } finally {
            SmallFileSystem.unmount(mount);
        }
    }

    /** Writes zeros to {@code file} until {@code bytes} or the file system is full. */
    private static void fill(Path file, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            long written = 0;
            while (written < bytes) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - written));
                try {
                    written += ch.write(chunk);
                } catch (IOException e) {
                    if (NoSpaceException.isNoSpace(e)) {
                        return;
                    }
                    throw e;
                }
            }
        }
    }

    /** Mounts a size-limited tmpfs (root only), or skips the test saying loudly why. */
    static final class SmallFileSystem {
        static Path mountTmpfs(String size) throws IOException, InterruptedException {
            Path mount = Files.createTempDirectory("raftkv-small-fs");
            String why = null;
            if (!"root".equals(System.getProperty("user.name"))) {
                why = "not running as root";
            } else {
                Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes()).trim();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    why = "mount -t tmpfs failed: " + out;
                }
            }
            if (why != null) {
                Files.deleteIfExists(mount);
                System.err.println("SKIPPED: the real full-disk test needs a small file system mounted by the test,"
                        + " and cannot here (" + why + "); CI runs as root");
                Assumptions.abort("no small file system: " + why);
            }
            return mount;
        }

        static void unmount(Path mount) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("umount", "-l", mount.toString()).redirectErrorStream(true).start();
            p.waitFor(30, TimeUnit.SECONDS);
            Files.deleteIfExists(mount);
        }
    }
}
