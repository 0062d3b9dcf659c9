package io.raftkv.kv;

import io.raftkv.core.statemachine.SnapshotInput;
import io.raftkv.core.statemachine.SnapshotOutput;
import io.vavr.Tuple2;
import io.vavr.collection.HashMap;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The snapshot stream (documented byte by byte in the module README), framed and checksummed by raft-core's
 * {@link SnapshotOutput} / {@link SnapshotInput}:
 * <pre>
 * magic "RKVS" (4) | version (1) | lastAppliedIndex (8, big-endian) | entryCount (8, big-endian)
 * entryCount × ( keyLength (varint) | key | valueLength (varint) | value )
 * crc32c (4, big-endian) of every byte before it
 * </pre>
 * Both directions stream through fixed buffers: writing never materialises the snapshot, and reading holds nothing
 * beyond the map being rebuilt. The checksum is verified before the new state is published, so a corrupt or
 * truncated snapshot fails with an {@link IOException} and leaves the current state untouched.
 */
final class SnapshotFormat {
    static final String MAGIC = "RKVS";
    static final int VERSION = 1;
    static final int HEADER_BYTES = SnapshotOutput.HEADER_BYTES + 8;
    private static final String NAME = "KV snapshot";

    private SnapshotFormat() {
    }

    static void write(KvState state, OutputStream out) throws IOException {
        SnapshotOutput w = SnapshotOutput.begin(out, MAGIC, VERSION, state.lastAppliedIndex());
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
        SnapshotInput r = SnapshotInput.open(in, MAGIC, VERSION, expectedIndex, NAME);
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
        r.finish();
        return new KvState(entries, expectedIndex);
    }
}
