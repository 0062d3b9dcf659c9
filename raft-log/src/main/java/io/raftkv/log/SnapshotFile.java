package io.raftkv.log;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.storage.SnapshotMeta;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The layout of one snapshot file (little-endian):
 * <pre>
 *   header:  magic:i32 "RKSN" | version:u8 | metaLength:i32 | meta | headerCrc32c:i32
 *            meta = lastIncludedIndex:i64 | lastIncludedTerm:i64 | configLength:i32 | configuration
 *   data:    the state machine's bytes
 *   trailer: dataLength:i64 | dataCrc32c:i32 | magic:i32
 * </pre>
 * The trailer comes last so the data can be streamed without knowing its size up front; a file without a valid
 * trailer is an interrupted write.
 */
final class SnapshotFile {
    static final int MAGIC = 0x524B534E;
    static final byte VERSION = 1;
    static final int TRAILER_BYTES = 8 + 4 + 4;
    private static final int MAX_META_BYTES = 16 << 20;

    /** A snapshot file whose header was parsed. */
    record Layout(Path file, SnapshotMeta meta, long dataOffset, long dataLength) {
    }

    private SnapshotFile() {
    }

    static byte[] header(SnapshotMeta meta) {
        byte[] config = meta.configuration().encode();
        int metaLength = 8 + 8 + 4 + config.length;
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 4 + metaLength + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(VERSION).putInt(metaLength)
                .putLong(meta.lastIncludedIndex()).putLong(meta.lastIncludedTerm()).putInt(config.length).put(config);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    static byte[] trailer(long dataLength, int dataCrc) {
        return ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(dataLength).putInt(dataCrc).putInt(MAGIC).array();
    }

    /** Parses header and trailer and checksums the data, streaming it (never the whole file in heap). */
    static Layout verify(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer fixed = read(ch, 0, 9, file);
            if (fixed.getInt() != MAGIC || fixed.get() != VERSION) {
                throw new LogCorruptedException(file, "not a snapshot file (bad magic or version)");
            }
            int metaLength = fixed.getInt();
            if (metaLength < 20 || metaLength > MAX_META_BYTES || 9L + metaLength + 4 + TRAILER_BYTES > size) {
                throw new LogCorruptedException(file, "bad snapshot metadata length " + metaLength);
            }
            ByteBuffer metaBuf = read(ch, 9, metaLength + 4, file);
            CRC32C crc = new CRC32C();
            ByteBuffer prefix = read(ch, 0, 9, file);
            crc.update(prefix);
            crc.update(metaBuf.array(), 0, metaLength);
            if ((int) crc.getValue() != metaBuf.getInt(metaLength)) {
                throw new LogCorruptedException(file, "snapshot header checksum mismatch");
            }
            long index = metaBuf.getLong();
            long term = metaBuf.getLong();
            int configLength = metaBuf.getInt();
            if (configLength != metaLength - 20) {
                throw new LogCorruptedException(file, "bad configuration length " + configLength);
            }
            byte[] config = new byte[configLength];
            metaBuf.get(config);
            SnapshotMeta meta;
            try {
                meta = new SnapshotMeta(index, term, Configuration.decode(config));
            } catch (IllegalArgumentException e) {
                throw new LogCorruptedException(file, "bad configuration: " + e.getMessage());
            }
            long dataOffset = 9L + metaLength + 4;
            ByteBuffer trailer = read(ch, size - TRAILER_BYTES, TRAILER_BYTES, file);
            long dataLength = trailer.getLong();
            int dataCrc = trailer.getInt();
            if (trailer.getInt() != MAGIC || dataLength != size - dataOffset - TRAILER_BYTES) {
                throw new LogCorruptedException(file, "snapshot trailer missing or inconsistent (interrupted write?)");
            }
            CRC32C data = new CRC32C();
            ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
            for (long pos = dataOffset; pos < dataOffset + dataLength; ) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), dataOffset + dataLength - pos));
                int n = ch.read(chunk, pos);
                if (n < 0) {
                    throw new LogCorruptedException(file, "snapshot data truncated");
                }
                chunk.flip();
                data.update(chunk);
                pos += n;
            }
            if ((int) data.getValue() != dataCrc) {
                throw new LogCorruptedException(file, "snapshot data checksum mismatch");
            }
            return new Layout(file, meta, dataOffset, dataLength);
        }
    }

    private static ByteBuffer read(FileChannel ch, long pos, int length, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new LogCorruptedException(file, "snapshot file truncated");
            }
        }
        return b.flip();
    }

    /** Reads {@code [from, end)} of a channel without moving a shared position (so several readers can share it). */
    static InputStream slice(FileChannel ch, long from, long end) {
        return new InputStream() {
            private long pos = from;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= end) {
                    return -1;
                }
                int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
                if (n > 0) {
                    pos += n;
                }
                return n;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, end - pos);
            }
        };
    }
}
