package io.raftkv.sql;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The snapshot stream: a copy of the database file, framed and checksummed.
 * <pre>
 * magic "RSQL" (4) | version (1) | lastAppliedIndex (8, big-endian) | file length N (8, big-endian)
 * N bytes of an SQLite database file
 * crc32c (4, big-endian) of every byte before it
 * </pre>
 * Written in 16 KiB buffers (the writer yields its CPU between writes, see {@code StateMachine.Snapshot}); read
 * into a file, never into memory.
 */
final class SqlSnapshotFormat {
    static final byte[] MAGIC = {'R', 'S', 'Q', 'L'};
    static final int VERSION = 1;
    static final int HEADER_BYTES = 4 + 1 + 8 + 8;
    static final int BUFFER_BYTES = 16 * 1024;

    private SqlSnapshotFormat() {
    }

    /** Streams {@code file}, a database file at {@code index}, to {@code out}. */
    static void write(long index, Path file, OutputStream out) throws IOException {
        CRC32C crc = new CRC32C();
        long length = Files.size(file);
        byte[] header = ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).put((byte) VERSION).putLong(index).putLong(length).array();
        crc.update(header);
        out.write(header);
        byte[] buf = new byte[BUFFER_BYTES];
        long copied = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
                out.write(buf, 0, n);
                copied += n;
            }
        }
        if (copied != length) {
            throw new IOException("snapshot copy " + file + " changed size while being written: " + length + " -> " + copied);
        }
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        out.flush(); // the caller owns the stream and closes it
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
        CRC32C crc = new CRC32C();
        DataInputStream data = new DataInputStream(in);
        byte[] header = new byte[HEADER_BYTES];
        try {
            data.readFully(header);
        } catch (EOFException e) {
            throw new EOFException("SQL snapshot truncated in its header");
        }
        crc.update(header);
        ByteBuffer h = ByteBuffer.wrap(header);
        byte[] magic = new byte[4];
        h.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not an SQL snapshot: bad magic " + java.util.HexFormat.of().formatHex(magic));
        }
        int version = h.get() & 0xff;
        if (version != VERSION) {
            throw new IOException("unsupported SQL snapshot version " + version + " (this build reads " + VERSION + ")");
        }
        long index = h.getLong();
        long length = h.getLong();
        if (index < 0 || index > maxIndex) {
            throw new IOException("SQL snapshot holds the database at index " + index + " but its metadata says "
                    + maxIndex + ": it cannot hold commands after the index it claims to cover");
        }
        if (length < 0) {
            throw new IOException("corrupt SQL snapshot: file length " + length);
        }
        byte[] buf = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(target)) {
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new EOFException("SQL snapshot truncated after " + (length - left) + " of " + length
                            + " database bytes");
                }
                crc.update(buf, 0, n);
                out.write(buf, 0, n);
                left -= n;
            }
        }
        int stored;
        try {
            stored = data.readInt();
        } catch (EOFException e) {
            throw new EOFException("SQL snapshot truncated in its checksum");
        }
        if (stored != (int) crc.getValue()) {
            throw new IOException(String.format("SQL snapshot is corrupt: CRC32C is %08x, trailer says %08x",
                    (int) crc.getValue(), stored));
        }
        if (in.read() >= 0) {
            throw new IOException("SQL snapshot has unexpected bytes after its checksum");
        }
        return index;
    }
}
