package io.raftkv.log;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileSnapshotStoreTest {
    private static final Configuration CONFIG = Configuration.ofVoterIds("n1", "n2", "n3");

    @TempDir
    Path dir;

    private static byte[] data(long index, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(index).nextBytes(b);
        return b;
    }

    private static void write(SnapshotStore store, long index, long term, byte[] data) throws IOException {
        try (SnapshotStore.Sink sink = store.begin(new SnapshotMeta(index, term, CONFIG))) {
            OutputStream out = sink.stream();
            for (int off = 0; off < data.length; off += 1000) {
                out.write(data, off, Math.min(1000, data.length - off));
            }
            out.close(); // a state machine may close its stream; the sink must still commit
            sink.commit();
        }
    }

    private static byte[] read(SnapshotStore.Source source, long offset) throws IOException {
        try (InputStream in = source.open(offset)) {
            return in.readAllBytes();
        }
    }

    private List<Path> snapshotFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".snap")).sorted().toList();
        }
    }

    @Test
    void committedSnapshotIsLatestAndReadableFromAnyOffset() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 2);
        assertEquals(Optional.empty(), store.latest());
        byte[] data = data(100, 300_000);
        write(store, 100, 3, data);
        assertEquals(new SnapshotMeta(100, 3, CONFIG), store.latest().orElseThrow());
        try (SnapshotStore.Source src = store.openLatest().orElseThrow()) {
            assertEquals(data.length, src.size());
            assertArrayEquals(data, read(src, 0));
            assertArrayEquals(Arrays.copyOfRange(data, 123_457, data.length), read(src, 123_457));
            assertEquals(0, read(src, data.length).length);
            java.time.Instant at = src.writtenAt().orElseThrow();
            assertTrue(Math.abs(java.time.Duration.between(at, java.time.Instant.now()).toSeconds()) < 60,
                    "written just now: " + at);
        }
        FileSnapshotStore reopened = new FileSnapshotStore(dir, 2);
        assertEquals(new SnapshotMeta(100, 3, CONFIG), reopened.latest().orElseThrow());
    }

    @Test
    void aReceivedSnapshotIsStoredLikeATakenOne() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 2);
        write(store, 10, 1, data(10, 1000));
        byte[] received = data(20, 9 << 20); // more than two of the larger flush steps
        try (SnapshotStore.Sink sink = store.beginReceived(new SnapshotMeta(20, 2, CONFIG))) {
            for (int off = 0; off < received.length; off += 1 << 20) { // InstallSnapshot-sized chunks
                sink.stream().write(received, off, Math.min(1 << 20, received.length - off));
            }
            sink.commit();
        }
        assertEquals(new SnapshotMeta(20, 2, CONFIG), store.latest().orElseThrow());
        try (SnapshotStore.Source src = new FileSnapshotStore(dir, 2).openLatest().orElseThrow()) {
            assertArrayEquals(received, read(src, 0));
        }
    }

    @Test
    void onlyTheNewestKAreKept() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 2);
        for (long i = 1; i <= 5; i++) {
            write(store, i * 10, 1, data(i, 1000));
        }
        assertEquals(2, snapshotFiles().size());
        assertEquals(50, store.latest().orElseThrow().lastIncludedIndex());
        write(store, 20, 1, data(2, 10)); // an older one does not become latest
        assertEquals(50, store.latest().orElseThrow().lastIncludedIndex());
    }

    @Test
    void aSnapshotBeingReadWhenItIsPruned_staysWhole_andOnesNobodyReadsAreRecycledOrDeletedInSteps()
            throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 1);
        byte[] first = data(10, 20 << 20); // 20 MiB: more than one deletion step
        write(store, 10, 1, first);
        try (SnapshotStore.Source reading = store.openLatest().orElseThrow()) {
            write(store, 20, 1, data(20, 9 << 20)); // prunes 10 while it is open: unlinked, never recycled
            write(store, 30, 1, data(30, 100)); // prunes 20, which nobody reads: recycled
            write(store, 40, 1, data(40, 3 << 20)); // written over 20; prunes 30: recycled
            write(store, 50, 1, data(50, 200)); // written over 30; prunes 40: recycled
            assertEquals(1, snapshotFiles().size(), "keep 1: " + snapshotFiles());
            assertEquals(50, store.latest().orElseThrow().lastIncludedIndex());
            // Had 10 been recycled, 30 would have been written over the bytes this transfer reads.
            assertArrayEquals(first, read(reading, 0), "a transfer in progress still reads every byte");
        }
        try (SnapshotStore.Source newest = store.openLatest().orElseThrow()) {
            assertArrayEquals(data(50, 200), read(newest, 0));
        }
        assertEquals(50, new FileSnapshotStore(dir, 1).latest().orElseThrow().lastIncludedIndex());
    }

    /**
     * A pruned snapshot nobody reads is overwritten by the next one instead of being deleted (no blocks freed and
     * trimmed, none allocated: the log's fsyncs do not wait for either), and cut to the new snapshot's length.
     */
    @Test
    void aPrunedSnapshotIsOverwrittenByTheNextOneAndCutToItsLength() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 1);
        write(store, 10, 1, data(10, 3 << 20));
        Object inodeOf10 = Files.getAttribute(snapshotFiles().get(0), "unix:ino");
        write(store, 20, 1, data(20, 1000)); // prunes 10: recycled
        assertTrue(Files.exists(dir.resolve("snapshot-recycled.tmp")), "10 was not kept for recycling");
        write(store, 30, 1, data(30, 5000)); // written over 10's blocks, 3 MiB cut to ~5 kB

        Path file30 = snapshotFiles().get(0);
        assertEquals(inodeOf10, Files.getAttribute(file30, "unix:ino"), "30 was not written over the pruned file");
        assertTrue(Files.size(file30) < 6000, "the recycled file's old tail was not cut: " + Files.size(file30));
        FileSnapshotStore reopened = new FileSnapshotStore(dir, 1); // checksums the newest
        assertEquals(30, reopened.latest().orElseThrow().lastIncludedIndex());
        try (SnapshotStore.Source src = reopened.openLatest().orElseThrow()) {
            assertArrayEquals(data(30, 5000), read(src, 0));
        }
    }

    /**
     * Two snapshots in flight at once (a taken one and a received one): the first takes the recycled file, the
     * second writes a new one; a file pruned while one is already recycled is deleted (in steps); an abandoned
     * write's file becomes the recycled one if there is none.
     */
    @Test
    void concurrentSinksShareOneRecycledFileAndTheRestIsDeleted() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 1);
        write(store, 10, 1, data(10, 20 << 20)); // 20 MiB: more than one deletion step
        write(store, 20, 1, data(20, 1000)); // 10 recycled
        Object inodeOf10 = Files.getAttribute(dir.resolve("snapshot-recycled.tmp"), "unix:ino");
        try (SnapshotStore.Sink taken = store.begin(new SnapshotMeta(30, 1, CONFIG))) { // takes 10's file
            taken.stream().write(data(30, 2000));
            assertTrue(Files.notExists(dir.resolve("snapshot-recycled.tmp")));
            write(store, 40, 1, data(40, 3000)); // a new file; prunes 20: recycled
            taken.commit(); // 30 is older than 40: pruned at once, and 20 is already recycled, so deleted
        }
        assertEquals(List.of(dir.resolve("snapshot-00000000000000000040-00000000000000000001.snap")), snapshotFiles());
        assertTrue(Files.exists(dir.resolve("snapshot-recycled.tmp")));
        assertTrue(snapshotFilesAndTemps().stream().noneMatch(p -> {
            try {
                return inodeOf10.equals(Files.getAttribute(p, "unix:ino"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), "the file 30 was written into was deleted");

        try (SnapshotStore.Sink abandoned = store.begin(new SnapshotMeta(50, 1, CONFIG))) { // takes 20's file
            abandoned.stream().write(new byte[5000]);
        } // abandoned: 20's file is recycled again, not freed
        assertTrue(Files.exists(dir.resolve("snapshot-recycled.tmp")));
        assertEquals(2, snapshotFilesAndTemps().size(), "40 and the recycled file: " + snapshotFilesAndTemps());
        try (SnapshotStore.Source src = store.openLatest().orElseThrow()) {
            assertArrayEquals(data(40, 3000), read(src, 0));
        }
    }

    private List<Path> snapshotFilesAndTemps() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /** A recycled file left by a previous run is never read as a snapshot, and is reused by the next one. */
    @Test
    void aRecycledFileLeftByAPreviousRunIsReusedNotRead() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 1);
        write(store, 10, 1, data(10, 4000));
        write(store, 20, 1, data(20, 4000)); // 10 recycled
        Object recycledInode = Files.getAttribute(dir.resolve("snapshot-recycled.tmp"), "unix:ino");

        FileSnapshotStore reopened = new FileSnapshotStore(dir, 1);
        assertEquals(20, reopened.latest().orElseThrow().lastIncludedIndex());
        write(reopened, 30, 1, data(30, 4000));
        assertEquals(recycledInode, Files.getAttribute(snapshotFiles().get(0), "unix:ino"));
        try (SnapshotStore.Source src = reopened.openLatest().orElseThrow()) {
            assertArrayEquals(data(30, 4000), read(src, 0));
        }
    }

    @Test
    void abandonedSinkLeavesOnlyARecycledFileAndKeepsThePreviousSnapshot() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 2);
        write(store, 10, 1, data(1, 100));
        try (SnapshotStore.Sink sink = store.begin(new SnapshotMeta(20, 1, CONFIG))) {
            sink.stream().write(new byte[5000]);
        }
        assertEquals(10, store.latest().orElseThrow().lastIncludedIndex());
        try (Stream<Path> s = Files.list(dir)) { // its file is kept for the next snapshot to overwrite, nothing else
            assertEquals(List.of("snapshot-recycled.tmp"), s.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains(".tmp")).toList());
        }
        assertEquals(10, new FileSnapshotStore(dir, 2).latest().orElseThrow().lastIncludedIndex());
    }

    @Test
    void corruptNewestSnapshotFallsBackToThePreviousOne() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 3);
        byte[] older = data(10, 5000);
        write(store, 10, 1, older);
        write(store, 20, 2, data(20, 5000));
        Path newest = snapshotFiles().get(1);
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{0x7F}), 2000); // a byte of the data
        }
        FileSnapshotStore reopened = new FileSnapshotStore(dir, 3);
        assertEquals(new SnapshotMeta(10, 1, CONFIG), reopened.latest().orElseThrow());
        try (SnapshotStore.Source src = reopened.openLatest().orElseThrow()) {
            assertArrayEquals(older, read(src, 0));
        }
        assertTrue(Files.exists(newest.resolveSibling(newest.getFileName() + ".corrupt")));
    }

    @Test
    void interruptedWriteLeavesThePreviousSnapshot() throws IOException {
        FileSnapshotStore store = new FileSnapshotStore(dir, 2);
        write(store, 10, 1, data(1, 100));
        // What a crash mid-write leaves: a temp file without trailer.
        Files.write(dir.resolve("snapshot-00000000000000000020-00000000000000000001.snap123.tmp"), new byte[777]);
        FileSnapshotStore reopened = new FileSnapshotStore(dir, 2);
        assertEquals(10, reopened.latest().orElseThrow().lastIncludedIndex());
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.toString().contains(".tmp")));
        }
    }

    @Test
    void writingOnABackgroundThreadWhileTheRaftThreadReadsLatest() throws Exception {
        FileSnapshotStore store = new FileSnapshotStore(dir, 2);
        write(store, 1, 1, data(1, 10));
        AtomicBoolean failed = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            try {
                for (long i = 2; i <= 30; i++) {
                    write(store, i, 1, data(i, 20_000));
                }
            } catch (IOException e) {
                failed.set(true);
            }
        });
        writer.start();
        long seen = 0;
        while (writer.isAlive()) {
            long now = store.latest().orElseThrow().lastIncludedIndex();
            assertTrue(now >= seen, "latest went backwards");
            seen = now;
            try (SnapshotStore.Source src = store.openLatest().orElseThrow()) {
                assertArrayEquals(data(src.meta().lastIncludedIndex(), (int) src.size()), read(src, 0));
            }
        }
        writer.join();
        assertFalse(failed.get());
        assertEquals(30, store.latest().orElseThrow().lastIncludedIndex());
    }
}
