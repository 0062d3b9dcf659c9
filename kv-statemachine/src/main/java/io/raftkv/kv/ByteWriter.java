package io.raftkv.kv;

/**
 * Writes into an array whose exact size the caller computed beforehand (with {@link #varLongSize} and
 * {@link #lengthPrefixedSize}), so encoding a 1 MiB value copies it once, not once per buffer growth.
 */
final class ByteWriter {
    private final byte[] buf;
    private int pos;

    ByteWriter(int size) {
        this.buf = new byte[size];
    }

    static int varLongSize(long v) {
        // Each byte carries 7 bits; zero still takes one byte.
        int bits = 64 - Long.numberOfLeadingZeros(v | 1);
        return (bits + 6) / 7;
    }

    static int lengthPrefixedSize(byte[] b) {
        return varLongSize(b.length) + b.length;
    }

    ByteWriter writeByte(int b) {
        buf[pos++] = (byte) b;
        return this;
    }

    ByteWriter writeVarLong(long v) {
        while ((v & ~0x7fL) != 0) {
            buf[pos++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    /** A signed 64-bit integer as 8 bytes, big-endian. */
    ByteWriter writeLong(long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[pos++] = (byte) (v >>> shift);
        }
        return this;
    }

    ByteWriter writeLengthPrefixed(byte[] b) {
        writeVarLong(b.length);
        return writeFixed(b);
    }

    ByteWriter writeFixed(byte[] b) {
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    byte[] toByteArray() {
        if (pos != buf.length) {
            throw new IllegalStateException("size computed as " + buf.length + " but wrote " + pos);
        }
        return buf;
    }
}
