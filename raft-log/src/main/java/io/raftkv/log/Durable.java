package io.raftkv.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;

/**
 * File-system steps that make changes survive a power loss: Java's file API and Chronicle make data durable at
 * most, never the directory entries that name it. Public for the server's own directories (data, snapshots).
 */
public final class Durable {
    private Durable() {
    }

    /**
     * fsyncs a directory so that file creations, renames and deletions in it are durable. Neither Java's file
     * API nor Chronicle does this by itself; without it a crash can lose a new segment or a renamed file.
     */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * {@link Files#createDirectories}, and then an fsync of the parent of every directory it created, top down:
     * otherwise a power loss can take back a new directory, with the files committed in it (a first snapshot in a
     * new snapshot directory, after which the log was compacted). Returns {@code dir}.
     */
    public static Path createDirectories(Path dir) throws IOException {
        ArrayDeque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        Files.createDirectories(dir);
        for (Path created : missing) {
            fsyncDirectory(created.getParent());
        }
        return dir;
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
