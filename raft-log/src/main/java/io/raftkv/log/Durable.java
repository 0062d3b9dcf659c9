package io.raftkv.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** File-system steps that make changes survive a power loss. */
final class Durable {
    private Durable() {
    }

    /**
     * fsyncs a directory so that file creations, renames and deletions in it are durable. Neither Java's file
     * API nor Chronicle does this by itself; without it a crash can lose a new segment or a renamed file.
     */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Renames {@code tmp} over {@code target} atomically, then fsyncs the directory. */
    static void atomicRename(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("file system of " + target + " cannot rename atomically", e);
        }
        fsyncDirectory(target.getParent());
    }
}
