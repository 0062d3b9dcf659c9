package io.raftkv.kv;

import java.util.Arrays;

/**
 * Bounds-checked reading of a byte array. Every length is checked against the bytes that remain <em>before</em>
 * anything is allocated, so a malformed length can never make the decoder allocate more than the input's size.
 */
final class ByteReader {
    private final byte[] buf;
    private int pos;

    ByteReader(byte[] buf) {
        this.buf = buf;
    }

    int remaining() {
        return buf.length - pos;
    }

    int readUnsignedByte(String what) {
        if (pos >= buf.length) {
            throw new KvCodecException("truncated: expected " + what + " at offset " + pos);
        }
        return buf[pos++] & 0xff;
    }

    /** An unsigned LEB128 varint of at most 10 bytes, in canonical (shortest) form. */
    long readVarLong(String what) {
        long value = 0;
        int start = pos;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = readUnsignedByte(what);
            if (shift == 63 && b > 1) {
                throw new KvCodecException(what + " at offset " + start + " overflows 64 bits");
            }
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                // One value, one encoding: a trailing zero group would be a second encoding of the same number.
                if (b == 0 && pos - start > 1) {
                    throw new KvCodecException(what + " at offset " + start + " is not in shortest form");
                }
                return value;
            }
        }
        throw new KvCodecException(what + " at offset " + start + " is longer than 10 bytes");
    }

    /** A signed 64-bit integer written as 8 bytes, big-endian. */
    long readLong(String what) {
        if (remaining() < 8) {
            throw new KvCodecException("truncated: " + what + " needs 8 bytes, " + remaining() + " remain");
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xff);
        }
        return v;
    }

    /** A varint length that must fit in the remaining input. */
    int readLength(String what) {
        int start = pos;
        long len = readVarLong(what + " length");
        if (len < 0 || len > remaining()) { // len < 0: at or above 2^63 as an unsigned number
            throw new KvCodecException(what + " length " + Long.toUnsignedString(len) + " at offset " + start + " exceeds the "
                    + remaining() + " bytes that remain");
        }
        return (int) len;
    }

    /** A varint count of items, each taking at least {@code minItemBytes}, that must fit in the remaining input. */
    int readCount(String what, int minItemBytes) {
        int start = pos;
        long count = readVarLong(what);
        if (count < 0 || count > remaining() / minItemBytes) {
            throw new KvCodecException(what + " " + Long.toUnsignedString(count) + " at offset " + start + " cannot fit in the "
                    + remaining() + " bytes that remain");
        }
        return (int) count;
    }

    /** A varint length followed by that many bytes. */
    byte[] readLengthPrefixed(String what) {
        int len = readLength(what);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return out;
    }

    byte[] readFixed(int len, String what) {
        if (len > remaining()) {
            throw new KvCodecException("truncated: " + what + " needs " + len + " bytes, " + remaining() + " remain");
        }
        byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return out;
    }

    void expectEnd() {
        if (pos != buf.length) {
            throw new KvCodecException((buf.length - pos) + " unexpected trailing bytes at offset " + pos);
        }
    }
}
