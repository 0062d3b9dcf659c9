package io.raftkv.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What can be checked without pulling the plug: the directories exist, existing ones are left alone. */
class DurableTest {
    @TempDir
    Path dir;

    @Test
    void createDirectoriesCreatesEveryMissingLevelAndLeavesExistingOnesAlone() throws IOException {
        Path nested = dir.resolve("a/b/c");
        assertEquals(nested, Durable.createDirectories(nested));
        assertTrue(Files.isDirectory(nested));
        Files.writeString(nested.resolve("kept"), "x");
        assertEquals(nested, Durable.createDirectories(nested));
        assertEquals("x", Files.readString(nested.resolve("kept")));
    }

    @Test
    void createDirectoriesRefusesAFileInTheWay() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThrows(java.nio.file.FileSystemException.class, () -> Durable.createDirectories(file.resolve("sub")));
    }
}
