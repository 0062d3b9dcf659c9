package io.raftkv.core.statemachine;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * Reads and verifies a stream written by {@link SnapshotOutput}: the header is checked when it is opened (the
 * format's magic and version, an index not above what the snapshot's metadata claims), the state is read through a
 * 64 KiB buffer, and {@link #finish()} checks the CRC32C trailer and that nothing follows it.
 *
 * <p>Build the new state from what you read, and install it only after {@link #finish()} returned: then a corrupt,
 * truncated or foreign snapshot fails with an {@link IOException} saying what and where, and leaves the state
 * machine as it was. A length read from the stream cannot make it allocate more than the stream holds: arrays
 * beyond 1 MiB grow as their bytes arrive. Not thread-safe; does not close the stream.
 */
public final class SnapshotInput {
    private static final int BUFFER_BYTES = 64 * 1024;
    /** Longer arrays are read in growing steps, so a corrupt length cannot make us allocate gigabytes up front. */
    private static final int EAGER_ALLOCATION_LIMIT = 1024 * 1024;

    private final InputStream in;
    private final String name;
    private final CRC32C crc = new CRC32C();
    private final byte[] buf = new byte[BUFFER_BYTES];
    private int pos;
    private int limit;
    private long consumedBefore; // stream offset of buf[0], for error messages
    private long index;

    private SnapshotInput(InputStream in, String name) {
        this.in = Objects.requireNonNull(in, "in");
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * Opens a stream and checks its header.
     *
     * @param magic    the format's four ASCII characters ({@link SnapshotOutput#begin})
     * @param version  the version this code reads; any other is refused
     * @param maxIndex the index the snapshot's metadata claims (what {@link StateMachine#restore} is given): the
     *                 stream's own index, the last <em>command</em> applied, may be lower (entries that are not
     *                 commands come after it) but never higher
     * @param name     names the format in error messages, e.g. {@code "KV snapshot"}
     * @throws IOException if the header is truncated, of another format or version, or claims a higher index
     */
    public static SnapshotInput open(InputStream in, String magic, int version, long maxIndex, String name)
            throws IOException {
        SnapshotInput r = new SnapshotInput(in, name);
        byte[] expected = magicBytes(magic);
        byte[] got = r.readBytes(4, "magic");
        if (!Arrays.equals(got, expected)) {
            throw new IOException("not a " + name + ": bad magic " + HexFormat.of().formatHex(got) + " (expected "
                    + magic + ")");
        }
        int v = r.readByte("version");
        if (v != version) {
            throw new IOException("unsupported " + name + " version " + v + " (this build reads " + version + ")");
        }
        long index = r.readLong("last applied index");
        if (index < 0) {
            throw new IOException("corrupt " + name + ": last applied index " + index);
        }
        if (index > maxIndex) {
            throw new IOException(name + " holds the state at index " + index + " but its metadata says " + maxIndex
                    + ": it cannot hold commands after the index it claims to cover");
        }
        r.index = index;
        return r;
    }

    /** The index the stream's state is at (the last command it includes). */
    public long index() {
        return index;
    }

    /** The offset of the next byte in the stream (for error messages). */
    public long offset() {
        return consumedBefore + pos;
    }

    /** A corrupt stream: throw {@code corrupt("...")} for a value that cannot be (a negative count, say). */
    public IOException corrupt(String what) {
        return new IOException("corrupt " + name + " at offset " + offset() + ": " + what);
    }

    /** Makes at least one byte available; false at end of stream. */
    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        crc.update(buf, 0, limit);
        consumedBefore += limit;
        pos = 0;
        limit = 0;
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        limit = n;
        return true;
    }

    private EOFException truncated(String what) {
        return new EOFException(name + " truncated at offset " + offset() + " while reading " + what);
    }

    /** One unsigned byte; {@code what} names the field in error messages. */
    public int readByte(String what) throws IOException {
        if (!fill()) {
            throw truncated(what);
        }
        return buf[pos++] & 0xff;
    }

    /** A byte that must be 0 or 1. */
    public boolean readBoolean(String what) throws IOException {
        int b = readByte(what);
        if (b > 1) {
            throw corrupt(what + " is " + b + ", not 0 or 1");
        }
        return b == 1;
    }

    /** Four bytes, big-endian. */
    public int readInt(String what) throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | readByte(what);
        }
        return v;
    }

    /** Eight bytes, big-endian. */
    public long readLong(String what) throws IOException {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | readByte(what);
        }
        return v;
    }

    /** A varint written by {@link SnapshotOutput#writeVarInt}: at most 5 bytes, at most {@code 2^31 - 1}. */
    public int readVarInt(String what) throws IOException {
        long start = offset();
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = readByte(what);
            v |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (shift == 28 && b > 0x07) {
                    throw new IOException("corrupt " + name + ": " + what + " at offset " + start + " is too large");
                }
                return v;
            }
        }
        throw new IOException("corrupt " + name + ": " + what + " at offset " + start + " is longer than 5 bytes");
    }

    /** Exactly {@code len} bytes. */
    public byte[] readBytes(int len, String what) throws IOException {
        if (len < 0) {
            throw corrupt(what + " length " + len);
        }
        byte[] out = new byte[Math.min(len, EAGER_ALLOCATION_LIMIT)];
        int done = 0;
        while (done < len) {
            if (!fill()) {
                throw truncated(what + " (" + done + " of " + len + " bytes)");
            }
            if (done == out.length) {
                out = Arrays.copyOf(out, (int) Math.min(len, 2L * out.length));
            }
            int n = Math.min(limit - pos, out.length - done);
            System.arraycopy(buf, pos, out, done, n);
            pos += n;
            done += n;
        }
        return out;
    }

    /** Up to {@code len} bytes into {@code dst} (at least one unless {@code len} is 0); -1 at the end of the stream. */
    public int read(byte[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(limit - pos, len);
        System.arraycopy(buf, pos, dst, off, n);
        pos += n;
        return n;
    }

    /** A length-prefixed array written by {@link SnapshotOutput#writeBlob}. */
    public byte[] readBlob(String what) throws IOException {
        return readBytes(readVarInt(what + " length"), what);
    }

    /** A string written by {@link SnapshotOutput#writeString}; malformed UTF-8 is corrupt. */
    public String readString(String what) throws IOException {
        byte[] bytes = readBlob(what);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(what + " is not UTF-8");
        }
    }

    /**
     * A map written by {@link SnapshotOutput#writeMap}, into a new map from {@code newMap}:
     * <pre>{@code Map<String, Long> read = in.readMap(TreeMap::new, i -> i.readString("name"), i -> i.readLong("balance"));}</pre>
     * A key that appears twice is corrupt (the writer wrote a map).
     */
    public <K, V, M extends Map<K, V>> M readMap(Supplier<M> newMap, ValueReader<? extends K> keys,
                                                ValueReader<? extends V> values) throws IOException {
        M map = newMap.get();
        for (int n = readVarInt("map size"); n > 0; n--) {
            K key = keys.read(this);
            if (map.containsKey(key)) {
                throw corrupt("a map key that appears twice: " + key);
            }
            map.put(key, values.read(this));
        }
        return map;
    }

    /** Reads one value of a {@link #readMap map}: e.g. {@code i -> i.readString("name")}. */
    @FunctionalInterface
    public interface ValueReader<T> {
        T read(SnapshotInput in) throws IOException;
    }

    /**
     * Verifies the CRC32C trailer against every byte read, and that nothing follows it.
     *
     * @throws IOException if the checksum differs, the trailer is missing or bytes follow it
     */
    public void finish() throws IOException {
        // Checksum everything consumed so far; the 4 trailer bytes are excluded.
        crc.update(buf, 0, pos);
        int expected = (int) crc.getValue();
        // Re-base so that fill() does not checksum the consumed bytes a second time.
        consumedBefore += pos;
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        limit -= pos;
        pos = 0;
        int stored = 0;
        for (int i = 0; i < 4; i++) {
            if (pos == limit) {
                int n = in.read(buf, limit, buf.length - limit);
                if (n < 0) {
                    throw truncated("checksum");
                }
                limit += n;
                i--;
                continue;
            }
            stored = (stored << 8) | (buf[pos++] & 0xff);
        }
        if (stored != expected) {
            throw new IOException(String.format("%s is corrupt: CRC32C is %08x, trailer says %08x", name, expected,
                    stored));
        }
        if (pos < limit || in.read() >= 0) {
            throw new IOException(name + " has unexpected bytes after its checksum at offset " + offset());
        }
    }

    static byte[] magicBytes(String magic) {
        if (magic == null || magic.length() != 4 || !StandardCharsets.US_ASCII.newEncoder().canEncode(magic)) {
            throw new IllegalArgumentException("a snapshot magic is 4 ASCII characters, got '" + magic + "'");
        }
        return magic.getBytes(StandardCharsets.US_ASCII);
    }
}
