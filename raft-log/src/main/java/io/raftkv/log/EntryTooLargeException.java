package io.raftkv.log;

/**
 * An entry does not fit in one Chronicle excerpt (a quarter of the block size). Nothing of the batch was written.
 * Servers turn this into "request too large" (HTTP 413); it is bad input, not an I/O failure.
 */
public final class EntryTooLargeException extends IllegalArgumentException {
    private final long index;
    private final int size;
    private final int limit;

    public EntryTooLargeException(long index, int size, int limit) {
        super("log entry " + index + " is " + size + " bytes, larger than the maximum of " + limit
                + " bytes (a quarter of the Chronicle block size; raise blockSize to allow larger entries)");
        this.index = index;
        this.size = size;
        this.limit = limit;
    }

    public long index() {
        return index;
    }

    /** Size of the entry's data in bytes. */
    public int size() {
        return size;
    }

    /** The largest entry data the log accepts. */
    public int limit() {
        return limit;
    }
}
