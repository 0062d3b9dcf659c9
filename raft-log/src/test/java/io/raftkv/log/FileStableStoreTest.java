package io.raftkv.log;

import io.raftkv.core.storage.HardState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileStableStoreTest {
    @TempDir
    Path dir;

    @Test
    void nothingSavedMeansInitialState() throws IOException {
        assertEquals(HardState.INITIAL, new FileStableStore(dir).load());
    }

    @Test
    void savedStateSurvivesReopen() throws IOException {
        FileStableStore s = new FileStableStore(dir);
        s.save(new HardState(7, "n2"));
        s.save(new HardState(8, null));
        s.save(new HardState(8, "nœud-3"));
        assertEquals(new HardState(8, "nœud-3"), new FileStableStore(dir).load());
        assertFalse(Files.exists(dir.resolve(FileStableStore.FILE + ".tmp")));
    }

    @Test
    void garbageFileIsReportedNotReadAsTermZero() throws IOException {
        new FileStableStore(dir).save(new HardState(42, "n1"));
        Path file = dir.resolve(FileStableStore.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[6] ^= 0x10; // a bit of the term
        Files.write(file, bytes);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> new FileStableStore(dir).load());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        Files.write(file, new byte[3]);
        assertThrows(LogCorruptedException.class, () -> new FileStableStore(dir).load());
    }

    @Test
    void leftoverTempFileFromACrashedSaveIsIgnored() throws IOException {
        new FileStableStore(dir).save(new HardState(3, "n1"));
        Files.write(dir.resolve(FileStableStore.FILE + ".tmp"), new byte[]{1, 2, 3});
        assertEquals(new HardState(3, "n1"), new FileStableStore(dir).load());
    }
}
