package io.raftkv.sql;

import io.raftkv.core.statemachine.SnapshotInput;
import io.raftkv.core.statemachine.SnapshotOutput;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The snapshot stream: a copy of the database file, framed and checksummed by raft-core's {@link SnapshotOutput} /
 * {@link SnapshotInput}.
 * <pre>
 * magic "RSQL" (4) | version (1) | lastAppliedIndex (8, big-endian) | file length N (8, big-endian)
 * N bytes of an SQLite database file
 * crc32c (4, big-endian) of every byte before it
 * </pre>
 * Written in 16 KiB buffers (the writer yields its CPU between writes, see {@code StateMachine.Snapshot}); read
 * into a file, never into memory.
 */
final class SqlSnapshotFormat {
    static final String MAGIC = "RSQL";
    static final int VERSION = 1;
    static final int HEADER_BYTES = SnapshotOutput.HEADER_BYTES + 8;
    static final int BUFFER_BYTES = 16 * 1024;
    private static final String NAME = "SQL snapshot";

    private SqlSnapshotFormat() {
    }

    /** Streams {@code file}, a database file at {@code index}, to {@code out}. */
    static void write(long index, Path file, OutputStream out) throws IOException {
        long length = Files.size(file);
        SnapshotOutput w = SnapshotOutput.begin(out, MAGIC, VERSION, index);
        w.writeLong(length);
        byte[] buf = new byte[BUFFER_BYTES];
        long copied = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                w.writeBytes(buf, 0, n);
                copied += n;
            }
        }
        if (copied != length) {
            throw new IOException("snapshot copy " + file + " changed size while being written: " + length + " -> " + copied);
        }
        w.finish();
    }

    /**
     * Reads a snapshot stream into {@code target} (created or replaced) and verifies it.
     *
     * @param maxIndex the index the snapshot's metadata claims: the stream's own index (the last command) may be
     *                 lower, never higher
     * @return the index recorded in the stream
     * @throws IOException on a read error, a corrupt, truncated or foreign stream, or an index above {@code maxIndex}
     */
    static long read(InputStream in, long maxIndex, Path target) throws IOException {
        SnapshotInput r = SnapshotInput.open(in, MAGIC, VERSION, maxIndex, NAME);
        long length = r.readLong("file length");
        if (length < 0) {
            throw new IOException("corrupt SQL snapshot: file length " + length);
        }
        byte[] buf = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(target)) {
            long left = length;
            while (left > 0) {
                int n = r.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new EOFException("SQL snapshot truncated after " + (length - left) + " of " + length
                            + " database bytes");
                }
                out.write(buf, 0, n);
                left -= n;
            }
        }
        r.finish();
        return r.index();
    }
}
