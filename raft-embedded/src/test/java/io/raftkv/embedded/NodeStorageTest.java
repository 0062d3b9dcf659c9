package io.raftkv.embedded;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeStorageTest {
    @TempDir
    Path tmp;

    @Test
    void snapshotsGoToTheirOwnDirectoryWhenGivenOne() throws Exception {
        Path data = tmp.resolve("data");
        Path snapshots = tmp.resolve("other-disk");
        NodeStorage storage = NodeStorage.open(data, snapshots, new SimpleMeterRegistry(), "n1");
        try {
            SnapshotMeta meta = new SnapshotMeta(5, 1, Configuration.ofVoterIds("n1"));
            try (SnapshotStore.Sink sink = storage.snapshots().begin(meta)) {
                sink.stream().write(new byte[] {1, 2, 3});
                sink.commit();
            }
            assertEquals(meta.lastIncludedIndex(), storage.snapshots().latest().orElseThrow().lastIncludedIndex());
        } finally {
            close(storage);
        }
        assertEquals(1, snapshotFiles(snapshots));
        assertFalse(Files.exists(data.resolve("snapshots")), "nothing is written under the data directory");

        // Reopened with the same directories, the snapshot is found again.
        NodeStorage again = NodeStorage.open(data, snapshots, new SimpleMeterRegistry(), "n1");
        try {
            assertEquals(5, again.snapshots().latest().orElseThrow().lastIncludedIndex());
        } finally {
            close(again);
        }
    }

    @Test
    void twoServersCannotShareASnapshotDirectory() throws Exception {
        Path shared = tmp.resolve("snapshots");
        NodeStorage first = NodeStorage.open(tmp.resolve("n1"), shared, new SimpleMeterRegistry(), "n1");
        try {
            IOException e = assertThrows(IOException.class,
                    () -> NodeStorage.open(tmp.resolve("n2"), shared, new SimpleMeterRegistry(), "n2"));
            assertEquals("snapshot directory " + shared + " is in use by another raftkv process", e.getMessage());
            // The refused open let go of n2's data directory again.
            NodeStorage second = NodeStorage.open(tmp.resolve("n2"), tmp.resolve("n2-snapshots"),
                    new SimpleMeterRegistry(), "n2");
            close(second);
        } finally {
            close(first);
        }
    }

    @Test
    void anotherServerCannotUseTheDefaultSnapshotDirectoryOfARunningOne() throws Exception {
        NodeStorage first = NodeStorage.open(tmp.resolve("n1"), new SimpleMeterRegistry(), "n1");
        try {
            Path itsSnapshots = tmp.resolve("n1").resolve("snapshots");
            IOException e = assertThrows(IOException.class,
                    () -> NodeStorage.open(tmp.resolve("n2"), itsSnapshots, new SimpleMeterRegistry(), "n2"));
            assertEquals("snapshot directory " + itsSnapshots + " is in use by another raftkv process",
                    e.getMessage());
        } finally {
            close(first);
        }
    }

    @Test
    void theDataDirectoryItselfIsRefusedAsSnapshotDirectory() throws Exception {
        Path data = tmp.resolve("n1");
        IOException e = assertThrows(IOException.class,
                () -> NodeStorage.open(data, data.resolve("."), new SimpleMeterRegistry(), "n1"));
        assertEquals("snapshot directory " + data.resolve(".") + " is the data directory itself; give"
                + " --snapshot-dir a directory of its own", e.getMessage());
        close(NodeStorage.open(data, new SimpleMeterRegistry(), "n1")); // and its lock was let go
    }

    @Test
    void twoServersCannotShareADataDirectory() throws Exception {
        NodeStorage first = NodeStorage.open(tmp.resolve("n1"), new SimpleMeterRegistry(), "n1");
        try {
            IOException e = assertThrows(IOException.class,
                    () -> NodeStorage.open(tmp.resolve("n1"), new SimpleMeterRegistry(), "n1"));
            assertTrue(e.getMessage().startsWith("data directory "), e.getMessage());
        } finally {
            close(first);
        }
    }

    @Test
    void aSnapshotDirectoryThatIsAFileIsRefusedClearly() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        IOException e = assertThrows(IOException.class,
                () -> NodeStorage.open(tmp.resolve("n1"), file, new SimpleMeterRegistry(), "n1"));
        assertEquals("snapshot directory " + file + " is not a writable directory (it is a file)", e.getMessage());
        // The data directory's lock was let go.
        close(NodeStorage.open(tmp.resolve("n1"), new SimpleMeterRegistry(), "n1"));
    }

    private static long snapshotFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".snap")).count();
        }
    }

    private static void close(NodeStorage storage) throws Exception {
        storage.log().close();
        storage.stable().close();
        storage.snapshots().close();
        storage.releaseLock();
    }
}
