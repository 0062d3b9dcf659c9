package io.raftkv.core.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A store could not get the disk space a write needs (ENOSPC, a quota). Unlike any other {@link IOException} from
 * a store, this one promises that <em>nothing the store relies on was damaged</em>: the failed call wrote nothing
 * that a later read or recovery would see, except that {@link LogStore#append} may have appended a prefix of its
 * batch (readable, not yet synced, exactly as if the batch had been shorter). The store stays usable, and the
 * caller may retry the write once space has been freed; {@code RaftServer} waits and retries.
 *
 * <p>A store can only promise this for space it reserves <em>before</em> writing (a {@code write()} that failed,
 * blocks allocated ahead of a memory-mapped write). A failed {@code fsync} is never a {@code NoSpaceException},
 * whatever its errno: after a failed fsync the kernel may have dropped the dirty pages, so the store cannot know
 * what reached the disk, and retrying the sync could report success for data that is gone. Stores throw a plain
 * {@link IOException} for that, and the server stops.
 */
public class NoSpaceException extends IOException {
    private final transient Path directory;

    /**
     * @param directory where the space was missing (for the operator), or null if unknown
     */
    public NoSpaceException(String message, Path directory, Throwable cause) {
        super(message, cause);
        this.directory = directory;
    }

    /** The directory (or file) that could not grow, if the store knows it. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /**
     * True if {@code e} is the operating system's "no space left on device" or "disk quota exceeded" for a write.
     * Java reports both as a plain {@link IOException} carrying the C library's message, so this compares the
     * message (glibc and musl word them alike).
     */
    public static boolean isNoSpace(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NoSpaceException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
