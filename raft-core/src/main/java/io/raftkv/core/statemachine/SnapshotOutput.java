package io.raftkv.core.statemachine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Writes a snapshot stream that {@link SnapshotInput} can verify: a header naming the format and the index the
 * state is at, the state's own bytes, and a CRC32C of everything before it.
 * <pre>
 * magic (4 ASCII bytes) | version (1) | last applied index (8, big-endian)
 * the state, in the writer's own layout
 * crc32c (4, big-endian) of every byte before it
 * </pre>
 * The KV store's and the SQL database's snapshots are written with it ({@code RKVS}, {@code RSQL}); so is any
 * {@link AbstractStateMachine}'s.
 *
 * <p>Buffers 16 KiB at a time, and hands bigger arrays straight through: the snapshot writer gives up its CPU
 * between writes (see {@link StateMachine.Snapshot#writeTo}), so small writes keep the raft and apply threads from
 * waiting for its time slice. Not thread-safe; does not close the stream.
 */
public final class SnapshotOutput {
    /** Bytes before the state: magic, version, index. */
    public static final int HEADER_BYTES = 4 + 1 + 8;
    private static final int BUFFER_BYTES = 16 * 1024;

    private final OutputStream out;
    private final CRC32C crc = new CRC32C();
    private final byte[] buf = new byte[BUFFER_BYTES];
    private int pos;
    private boolean finished;

    private SnapshotOutput(OutputStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    /**
     * Starts a stream: writes the header.
     *
     * @param magic   four ASCII characters naming the format (e.g. {@code "LDGR"}); a reader of another format
     *                refuses the stream at once
     * @param version the format's version (0-255): bump it when the layout changes, so that an old server refuses
     *                what it cannot read
     * @param index   the last applied index of the state that follows
     */
    public static SnapshotOutput begin(OutputStream out, String magic, int version, long index) throws IOException {
        SnapshotOutput o = new SnapshotOutput(out);
        o.writeBytes(SnapshotInput.magicBytes(magic));
        if (version < 0 || version > 255) {
            throw new IllegalArgumentException("a snapshot version is one byte (0-255), got " + version);
        }
        o.writeByte(version);
        o.writeLong(index);
        return o;
    }

    public void writeByte(int b) throws IOException {
        if (pos == buf.length) {
            drain();
        }
        buf[pos++] = (byte) b;
    }

    public void writeBoolean(boolean b) throws IOException {
        writeByte(b ? 1 : 0);
    }

    /** Four bytes, big-endian. */
    public void writeInt(int v) throws IOException {
        for (int shift = 24; shift >= 0; shift -= 8) {
            writeByte(v >>> shift);
        }
    }

    /** Eight bytes, big-endian. */
    public void writeLong(long v) throws IOException {
        for (int shift = 56; shift >= 0; shift -= 8) {
            writeByte((int) (v >>> shift));
        }
    }

    /** An unsigned LEB128 varint of 1-5 bytes (7 bits per byte, low group first): small lengths and counts. */
    public void writeVarInt(int v) throws IOException {
        if (buf.length - pos < 5) {
            drain();
        }
        while ((v & ~0x7f) != 0) {
            buf[pos++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    /** The bytes as they are (no length): the reader must know how many to read. */
    public void writeBytes(byte[] b) throws IOException {
        writeBytes(b, 0, b.length);
    }

    /** {@code len} bytes of {@code b} from {@code off}, as they are. */
    public void writeBytes(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len <= buf.length - pos) {
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
            return;
        }
        drain();
        if (len <= buf.length) {
            System.arraycopy(b, off, buf, 0, len);
            pos = len;
        } else {
            crc.update(b, off, len); // a large array goes straight through, without another copy
            out.write(b, off, len);
        }
    }

    /** A length ({@link #writeVarInt}) and the bytes: read back with {@link SnapshotInput#readBlob}. */
    public void writeBlob(byte[] b) throws IOException {
        writeVarInt(b.length);
        writeBytes(b);
    }

    /** UTF-8 as a {@linkplain #writeBlob blob}: read back with {@link SnapshotInput#readString}. */
    public void writeString(String s) throws IOException {
        writeBlob(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A map as its size and then each key and value, in the map's iteration order: read back with
     * {@link SnapshotInput#readMap}. Give it a sorted map (or a copy of one) when the bytes must be equal on every
     * server, e.g. for {@link AbstractStateMachine#stateDigest()}.
     * <pre>{@code out.writeMap(balances, SnapshotOutput::writeString, SnapshotOutput::writeLong);}</pre>
     */
    public <K, V> void writeMap(Map<K, V> map, ValueWriter<? super K> keys, ValueWriter<? super V> values)
            throws IOException {
        writeVarInt(map.size());
        for (Map.Entry<K, V> e : map.entrySet()) {
            keys.write(this, e.getKey());
            values.write(this, e.getValue());
        }
    }

    /** Writes one value of a {@link #writeMap map}: e.g. {@code SnapshotOutput::writeString}. */
    @FunctionalInterface
    public interface ValueWriter<T> {
        void write(SnapshotOutput out, T value) throws IOException;
    }

    private void drain() throws IOException {
        crc.update(buf, 0, pos);
        out.write(buf, 0, pos);
        pos = 0;
    }

    /** Ends the stream with the checksum and flushes it (the caller closes it). Nothing may be written after. */
    public void finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("the snapshot stream is finished already");
        }
        finished = true;
        drain();
        int c = (int) crc.getValue();
        out.write(new byte[]{(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
        out.flush();
    }
}
