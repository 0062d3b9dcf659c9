package io.raftkv.core.session;

import java.util.Arrays;

/**
 * The byte encoding shared by {@link SessionFrame}, {@link SessionReply} and the table's snapshot image: unsigned
 * LEB128 varints in shortest form (so every value has exactly one encoding) and raw byte runs.
 */
final class SessionBytes {
    private SessionBytes() {
    }

    /** Bytes a varint of {@code v} (read as unsigned) takes. */
    static int varLongSize(long v) {
        int n = 1;
        while ((v & ~0x7fL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** A growable output buffer; {@code capacity} is a hint. */
    static final class Writer {
        private byte[] buf;
        private int pos;

        Writer(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void ensure(int more) {
            if (buf.length - pos < more) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
            }
        }

        Writer u8(int b) {
            ensure(1);
            buf[pos++] = (byte) b;
            return this;
        }

        /** An unsigned varint; callers pass non-negative values. */
        Writer varLong(long v) {
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
            return this;
        }

        Writer raw(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        Writer lengthPrefixed(byte[] b) {
            return varLong(b.length).raw(b);
        }

        int size() {
            return pos;
        }

        byte[] toByteArray() {
            return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
        }
    }

    /** Reads what {@link Writer} wrote; every malformed input raises {@link SessionFormatException}. */
    static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] b) {
            this(b, 0);
        }

        Reader(byte[] b, int offset) {
            this.b = b;
            this.pos = offset;
        }

        int remaining() {
            return b.length - pos;
        }

        int u8(String what) {
            if (pos >= b.length) {
                throw new SessionFormatException("truncated: no " + what + " at offset " + pos);
            }
            return b[pos++] & 0xff;
        }

        /** A varint that must fit a non-negative long. */
        long nonNegative(String what) {
            int start = pos;
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = u8(what);
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    if (x == 0 && shift > 0) {
                        throw new SessionFormatException(what + " at offset " + start + " is not in shortest form");
                    }
                    if (v < 0 || (shift == 63 && x > 0)) {
                        throw new SessionFormatException(what + " at offset " + start + " is out of range");
                    }
                    return v;
                }
            }
            throw new SessionFormatException(what + " at offset " + start + " is longer than 10 bytes");
        }

        /** A non-negative varint that must also fit an int and not exceed the bytes left times {@code minBytesEach}. */
        int count(String what, int minBytesEach) {
            long n = nonNegative(what);
            if (n > remaining() / Math.max(1, minBytesEach)) {
                throw new SessionFormatException(what + " " + n + " exceeds what the " + remaining()
                        + " remaining bytes can hold");
            }
            return (int) n;
        }

        byte[] lengthPrefixed(String what) {
            int len = count(what + " length", 1);
            byte[] out = Arrays.copyOfRange(b, pos, pos + len);
            pos += len;
            return out;
        }

        /** Everything left. */
        byte[] rest() {
            byte[] out = Arrays.copyOfRange(b, pos, b.length);
            pos = b.length;
            return out;
        }

        void expectEnd(String what) {
            if (pos != b.length) {
                throw new SessionFormatException(what + " has " + (b.length - pos) + " unexpected trailing bytes");
            }
        }
    }
}
