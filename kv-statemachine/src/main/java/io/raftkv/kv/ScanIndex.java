package io.raftkv.kv;

import io.vavr.Tuple2;
import io.vavr.collection.HashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The order {@link KvQuery.Scan} walks the keys in: by a 64-bit hash of each key that is the same in every process
 * (SipHash-2-4 under a fixed, published key), ties broken by the key bytes. A cursor is a position in that hash
 * space, so a walk needs no state on the server, survives writes between its steps, and may move between
 * servers.
 *
 * <p>It is derived data, not replicated state: the apply thread keeps it in step with the map (a key enters when it
 * is created and leaves when it is deleted; overwrites, the common write, do not touch it) and {@code restore}
 * rebuilds it. A step reads it concurrently with the apply thread (a {@link ConcurrentSkipListSet}: weakly
 * consistent iteration, O(log n) to find the cursor), which gives SCAN's guarantee: a key that exists for the whole
 * walk is returned, exactly once; a key created or deleted during the walk may or may not be. The hash map's own
 * per-process hash (see {@link ByteKey}) cannot serve here: it differs between servers and between restarts.
 */
final class ScanIndex {
    /** SipHash's reference key (bytes 00..0f): fixed so that every server walks in the same order. */
    private static final long K0 = 0x0706050403020100L;
    private static final long K1 = 0x0f0e0d0c0b0a0908L;
    private static final byte[] NO_BYTES = new byte[0];

    /** A key at its place in the walk. */
    record Position(long hash, byte[] key) implements Comparable<Position> {
        static Position of(byte[] key) {
            return new Position(SipHash.hash(K0, K1, key), key);
        }

        @Override
        public int compareTo(Position o) {
            int c = Long.compareUnsigned(hash, o.hash);
            return c != 0 ? c : Arrays.compareUnsigned(key, o.key);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Position p && hash == p.hash && Arrays.equals(key, p.key);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(hash);
        }
    }

    private final ConcurrentSkipListSet<Position> positions = new ConcurrentSkipListSet<>();

    /** An index of every key of {@code entries}. */
    static ScanIndex of(HashMap<ByteKey, byte[]> entries) {
        ScanIndex index = new ScanIndex();
        for (Tuple2<ByteKey, byte[]> e : entries) {
            index.positions.add(Position.of(e._1.bytes()));
        }
        return index;
    }

    /** Apply thread: {@code keys} may have been created or deleted between {@code before} and {@code after}. */
    void update(HashMap<ByteKey, byte[]> before, HashMap<ByteKey, byte[]> after, List<ByteKey> keys) {
        for (ByteKey k : keys) {
            boolean was = before.containsKey(k);
            boolean is = after.containsKey(k);
            if (was != is) {
                if (is) {
                    positions.add(Position.of(k.bytes()));
                } else {
                    positions.remove(Position.of(k.bytes()));
                }
            }
        }
    }

    /** Apply thread: every key is gone. */
    void clear() {
        positions.clear();
    }

    int size() {
        return positions.size();
    }

    /**
     * One step of a walk: {@code count} keys from {@code cursor} on, plus any that share the last one's hash (so the
     * next cursor, the hash of the first key not returned, cuts between hashes), and that cursor (0 once the walk
     * is complete). A key's hash of 0 cannot end a step early: keys at hash 0 are all returned by the first one.
     */
    KvResult.ScanPage page(long cursor, int count) {
        Iterator<Position> it = positions.tailSet(new Position(cursor, NO_BYTES), true).iterator();
        List<byte[]> keys = new ArrayList<>(Math.min(count, 1024));
        long lastHash = 0;
        while (it.hasNext()) {
            Position p = it.next();
            if (keys.size() >= count && p.hash != lastHash) {
                return new KvResult.ScanPage(p.hash, keys);
            }
            keys.add(p.key);
            lastHash = p.hash;
        }
        return new KvResult.ScanPage(0, keys);
    }
}
