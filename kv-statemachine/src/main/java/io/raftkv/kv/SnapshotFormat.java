package io.raftkv.kv;

import io.vavr.Tuple2;
import io.vavr.collection.HashMap;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The snapshot stream (documented byte by byte in the module README):
 * <pre>
 * magic "RKVS" (4) | version (1) | lastAppliedIndex (8, big-endian) | entryCount (8, big-endian)
 * entryCount × ( keyLength (varint) | key | valueLength (varint) | value )
 * crc32c (4, big-endian) of every byte before it
 * </pre>
 * Both directions stream through a fixed 64 KiB buffer: writing never materialises the snapshot, and reading
 * holds nothing beyond the map being rebuilt. The checksum is verified before the new state is published, so a
 * corrupt or truncated snapshot fails with an {@link IOException} and leaves the current state untouched.
 */
final class SnapshotFormat {
    static final byte[] MAGIC = {'R', 'K', 'V', 'S'};
    static final int VERSION = 1;
    static final int HEADER_BYTES = 4 + 1 + 8 + 8;
    /** Small enough that the snapshot writer, which yields its CPU between writes, does so often (StateMachine). */
    private static final int WRITE_BUFFER_BYTES = 16 * 1024;
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    /** Longer arrays are read in growing steps, so a corrupt length cannot make us allocate gigabytes up front. */
    private static final int EAGER_ALLOCATION_LIMIT = 1024 * 1024;

    private SnapshotFormat() {
    }

    static void write(KvState state, OutputStream out) throws IOException {
        Writer w = new Writer(out);
        w.writeBytes(MAGIC);
        w.writeByte(VERSION);
        w.writeLong(state.lastAppliedIndex());
        w.writeLong(state.size());
        for (Tuple2<ByteKey, byte[]> e : state.entries()) {
            w.writeVarInt(e._1.length());
            w.writeBytes(e._1.bytes());
            w.writeVarInt(e._2.length);
            w.writeBytes(e._2);
        }
        w.finish();
    }

    /**
     * Reads a whole snapshot.
     *
     * @param expectedIndex the index the snapshot's metadata claims: at or above the stream's own, which is the
     *                      last <em>command</em> applied. Entries after it that never reach the state machine (a
     *                      new leader's no-op, configuration changes) put a snapshot taken right after them at a
     *                      higher log index with the same state. The restored state is at {@code expectedIndex}.
     * @throws IOException on a read error, a corrupt or truncated stream, or a stream index above the metadata's
     */
    static KvState read(InputStream in, long expectedIndex) throws IOException {
        Reader r = new Reader(in);
        byte[] magic = r.readBytes(4, "magic");
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a KV snapshot: bad magic " + Bytes.preview(magic));
        }
        int version = r.readByte("version");
        if (version != VERSION) {
            throw new IOException("unsupported KV snapshot version " + version + " (this build reads " + VERSION + ")");
        }
        long index = r.readLong("lastAppliedIndex");
        if (index > expectedIndex) {
            throw new IOException("KV snapshot holds the state at index " + index + " but its metadata says "
                    + expectedIndex + ": it cannot hold commands after the index it claims to cover");
        }
        long count = r.readLong("entry count");
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw new IOException("corrupt KV snapshot: entry count " + count);
        }
        HashMap<ByteKey, byte[]> entries = HashMap.empty();
        for (long i = 0; i < count; i++) {
            byte[] key = r.readBytes(r.readVarInt("key length"), "key");
            byte[] value = r.readBytes(r.readVarInt("value length"), "value");
            int before = entries.size();
            entries = entries.put(ByteKey.wrap(key), value);
            if (entries.size() == before) {
                throw new IOException("corrupt KV snapshot: key " + Bytes.preview(key) + " occurs twice");
            }
        }
        r.verifyChecksumAndEnd();
        return new KvState(entries, expectedIndex);
    }

    /** Buffers writes and checksums each buffer-full as it goes out. */
    private static final class Writer {
        private final OutputStream out;
        private final CRC32C crc = new CRC32C();
        private final byte[] buf = new byte[WRITE_BUFFER_BYTES];
        private int pos;

        Writer(OutputStream out) {
            this.out = out;
        }

        void writeByte(int b) throws IOException {
            if (pos == buf.length) {
                drain();
            }
            buf[pos++] = (byte) b;
        }

        void writeLong(long v) throws IOException {
            for (int shift = 56; shift >= 0; shift -= 8) {
                writeByte((int) (v >>> shift));
            }
        }

        void writeVarInt(int v) throws IOException {
            if (buf.length - pos < 5) {
                drain();
            }
            while ((v & ~0x7f) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void writeBytes(byte[] b) throws IOException {
            if (b.length <= buf.length - pos) {
                System.arraycopy(b, 0, buf, pos, b.length);
                pos += b.length;
                return;
            }
            drain();
            if (b.length <= buf.length) {
                System.arraycopy(b, 0, buf, 0, b.length);
                pos = b.length;
            } else {
                crc.update(b, 0, b.length); // large value: straight through, no extra copy
                out.write(b);
            }
        }

        private void drain() throws IOException {
            crc.update(buf, 0, pos);
            out.write(buf, 0, pos);
            pos = 0;
        }

        void finish() throws IOException {
            drain();
            int c = (int) crc.getValue();
            out.write(new byte[]{(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
            out.flush(); // the caller owns the stream and closes it
        }
    }

    /** Buffers reads; checksums bytes as the buffer is refilled, up to where the trailer begins. */
    private static final class Reader {
        private final InputStream in;
        private final CRC32C crc = new CRC32C();
        private final byte[] buf = new byte[READ_BUFFER_BYTES];
        private int pos;
        private int limit;
        private long consumedBefore; // stream offset of buf[0], for error messages

        Reader(InputStream in) {
            this.in = in;
        }

        private long offset() {
            return consumedBefore + pos;
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
            return new EOFException("KV snapshot truncated at offset " + offset() + " while reading " + what);
        }

        int readByte(String what) throws IOException {
            if (!fill()) {
                throw truncated(what);
            }
            return buf[pos++] & 0xff;
        }

        long readLong(String what) throws IOException {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | readByte(what);
            }
            return v;
        }

        int readVarInt(String what) throws IOException {
            long start = offset();
            int v = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = readByte(what);
                v |= (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    if (shift == 28 && b > 0x07) {
                        throw new IOException("corrupt KV snapshot: " + what + " at offset " + start + " is too large");
                    }
                    return v;
                }
            }
            throw new IOException("corrupt KV snapshot: " + what + " at offset " + start + " is longer than 5 bytes");
        }

        byte[] readBytes(int len, String what) throws IOException {
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

        void verifyChecksumAndEnd() throws IOException {
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
                throw new IOException(String.format("KV snapshot is corrupt: CRC32C is %08x, trailer says %08x",
                        expected, stored));
            }
            if (pos < limit || in.read() >= 0) {
                throw new IOException("KV snapshot has unexpected bytes after its checksum at offset " + offset());
            }
        }
    }
}
