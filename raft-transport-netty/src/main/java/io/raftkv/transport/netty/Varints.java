package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;

import static io.raftkv.transport.netty.MalformedFrameException.Reason.MALFORMED;

/**
 * Primitive field encodings of the wire format. Every reader bounds what it reads by the bytes that remain, so
 * no allocation is ever sized from an unchecked length field.
 *
 * <ul>
 *   <li>{@code varlong}: unsigned LEB128 of the 64 bits (1 byte below 128, at most 10 bytes). Terms and indexes
 *       are small non-negative numbers, so they usually take 1–4 bytes instead of 8.</li>
 *   <li>{@code string}: varlong byte count, then that many UTF-8 bytes.</li>
 *   <li>{@code bytes}: varlong byte count, then the bytes.</li>
 * </ul>
 */
final class Varints {
    private Varints() {
    }

    static void writeVarLong(ByteBuf out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.writeByte((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.writeByte((int) value);
    }

    static long readVarLong(ByteBuf in) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.isReadable()) {
                throw new MalformedFrameException(MALFORMED, "truncated varint");
            }
            int b = in.readByte();
            if (shift == 63 && (b & 0xFE) != 0) {
                throw new MalformedFrameException(MALFORMED, "varint overflows 64 bits");
            }
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new MalformedFrameException(MALFORMED, "varint longer than 10 bytes");
    }

    /**
     * Reads a count or length and checks it against {@code max} and against what is left to read, assuming each
     * counted item takes at least {@code minBytesEach} bytes.
     */
    static int readBoundedCount(ByteBuf in, long max, int minBytesEach, String what) {
        long n = readVarLong(in);
        if (n < 0 || n > max) {
            throw new MalformedFrameException(MALFORMED, what + " " + Long.toUnsignedString(n) + " exceeds " + max);
        }
        if (n * minBytesEach > in.readableBytes()) {
            throw new MalformedFrameException(MALFORMED, what + " " + n + " exceeds the "
                    + in.readableBytes() + " bytes left in the frame");
        }
        return (int) n;
    }

    static void writeString(ByteBuf out, String s) {
        writeVarLong(out, ByteBufUtil.utf8Bytes(s));
        ByteBufUtil.writeUtf8(out, s);
    }

    static String readString(ByteBuf in) {
        int len = readBoundedCount(in, WireFormat.MAX_STRING_BYTES, 1, "string length");
        String s = in.toString(in.readerIndex(), len, StandardCharsets.UTF_8);
        in.skipBytes(len);
        return s;
    }

    static void writeBytes(ByteBuf out, byte[] data) {
        writeVarLong(out, data.length);
        out.writeBytes(data);
    }

    /** Copies a length-prefixed byte array out of the frame: the one copy an inbound payload gets. */
    static byte[] readBytes(ByteBuf in) {
        int len = readBoundedCount(in, Integer.MAX_VALUE, 1, "byte array length");
        byte[] data = new byte[len];
        in.readBytes(data);
        return data;
    }

    static byte readFlags(ByteBuf in, int allowedMask) {
        if (!in.isReadable()) {
            throw new MalformedFrameException(MALFORMED, "truncated flags");
        }
        byte flags = in.readByte();
        if ((flags & ~allowedMask) != 0) {
            throw new MalformedFrameException(MALFORMED, "unknown flag bits 0x" + Integer.toHexString(flags & 0xFF));
        }
        return flags;
    }
}
