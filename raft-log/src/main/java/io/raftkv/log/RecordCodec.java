package io.raftkv.log;

import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import net.openhft.chronicle.bytes.Bytes;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The byte layout of one log record inside a Chronicle excerpt (little-endian):
 * <pre>
 *   kind:u8 | raftIndex:i64 | term:i64 | entryType:u8 | length:i32 | payload[length] | crc32c:i32
 * </pre>
 * The CRC32C covers every byte before it. Chronicle Queue has no checksum of its own, and after a power loss an
 * excerpt's length header can be complete while its payload pages are zeros; the CRC catches that.
 * Not thread-safe: one codec per log (its buffers are reused).
 */
final class RecordCodec {
    static final byte KIND_ENTRY = 1;
    static final byte KIND_TRUNCATE = 2;
    static final byte KIND_RESET = 3;

    static final int HEADER_BYTES = 1 + 8 + 8 + 1 + 4;
    static final int TRAILER_BYTES = 4;
    static final int OVERHEAD_BYTES = HEADER_BYTES + TRAILER_BYTES;

    private static final byte[] NO_DATA = new byte[0];

    private final byte[] header = new byte[HEADER_BYTES];
    private final ByteBuffer headerBuf = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    /** Writes an entry record; returns the number of bytes written. */
    int writeEntry(Bytes<?> out, LogEntry e) {
        return write(out, KIND_ENTRY, e.index(), e.term(), e.type().code(), e.data());
    }

    /** Writes a marker record (see {@link LogRecord.Truncate} and {@link LogRecord.Reset}). */
    int writeMarker(Bytes<?> out, byte kind, long index, long term) {
        return write(out, kind, index, term, (byte) 0, NO_DATA);
    }

    private int write(Bytes<?> out, byte kind, long index, long term, byte entryType, byte[] data) {
        headerBuf.clear();
        headerBuf.put(kind).putLong(index).putLong(term).put(entryType).putInt(data.length);
        crc.reset();
        crc.update(header, 0, HEADER_BYTES);
        crc.update(data, 0, data.length);
        out.write(header, 0, HEADER_BYTES);
        out.write(data, 0, data.length);
        out.writeInt((int) crc.getValue());
        return OVERHEAD_BYTES + data.length;
    }

    /**
     * Decodes and verifies the record in {@code in} (the excerpt's remaining bytes).
     *
     * @throws BadRecordException if the record is malformed or fails its checksum
     */
    LogRecord read(Bytes<?> in) throws BadRecordException {
        long remaining = in.readRemaining();
        if (remaining < OVERHEAD_BYTES) {
            throw new BadRecordException("record of " + remaining + " bytes is shorter than its header");
        }
        in.read(header, 0, HEADER_BYTES);
        headerBuf.clear();
        byte kind = headerBuf.get();
        long index = headerBuf.getLong();
        long term = headerBuf.getLong();
        byte entryType = headerBuf.get();
        int length = headerBuf.getInt();
        if (length < 0 || length != remaining - OVERHEAD_BYTES) {
            throw new BadRecordException("payload length " + length + " does not match record size " + remaining);
        }
        byte[] data = length == 0 ? NO_DATA : new byte[length];
        in.read(data, 0, length);
        int stored = in.readInt();
        crc.reset();
        crc.update(header, 0, HEADER_BYTES);
        crc.update(data, 0, length);
        if ((int) crc.getValue() != stored) {
            throw new BadRecordException("CRC32C mismatch (record claims index " + index + ")");
        }
        try {
            return switch (kind) {
                case KIND_ENTRY -> new LogRecord.Entry(new LogEntry(index, term, EntryType.fromCode(entryType), data));
                case KIND_TRUNCATE -> new LogRecord.Truncate(index, term);
                case KIND_RESET -> new LogRecord.Reset(index, term);
                default -> throw new BadRecordException("unknown record kind " + kind);
            };
        } catch (IllegalArgumentException e) {
            throw new BadRecordException("invalid record: " + e.getMessage());
        }
    }

    /**
     * Reads only the term of an entry record, without the checksum: {@code term(i)} is on Raft's hot path, and
     * every record it is used on was verified when the log was opened or written by this process (segments opened
     * with {@code VerifyMode.LAST_SEGMENT} are not, and {@code ChronicleLogStore.term} reads whole records there).
     */
    long readTerm(Bytes<?> in, long expectedIndex) throws BadRecordException {
        if (in.readRemaining() < OVERHEAD_BYTES) {
            throw new BadRecordException("record shorter than its header");
        }
        long start = in.readPosition();
        byte kind = in.readByte(start);
        long index = in.readLong(start + 1);
        if (kind != KIND_ENTRY || index != expectedIndex) {
            throw new BadRecordException("expected entry " + expectedIndex + ", found kind " + kind + " index " + index);
        }
        return in.readLong(start + 9);
    }

    /** A record that cannot be decoded or fails its checksum. */
    static final class BadRecordException extends Exception {
        BadRecordException(String message) {
            super(message, null, false, false);
        }
    }
}
