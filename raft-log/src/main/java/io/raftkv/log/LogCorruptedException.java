package io.raftkv.log;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Stored data failed its checksum or its structure in a place where it cannot be a torn tail: acknowledged data
 * may be damaged, so the node must stop instead of silently dropping entries. The message names the file and,
 * where known, the Raft index.
 */
public final class LogCorruptedException extends IOException {
    private final transient Path file;
    private final long index;

    public LogCorruptedException(Path file, long index, String reason) {
        super("corrupt Raft log in " + file + (index >= 0 ? " at index " + index : "") + ": " + reason
                + ". Refusing to continue: acknowledged entries may be damaged (restore this node from a peer).");
        this.file = file;
        this.index = index;
    }

    /** A corrupt file that is not the log (hard state, snapshot). */
    public LogCorruptedException(Path file, String reason) {
        this(file, -1, reason);
    }

    public Path file() {
        return file;
    }

    /** The Raft index of the damaged record, or -1 if not known. */
    public long index() {
        return index;
    }
}
