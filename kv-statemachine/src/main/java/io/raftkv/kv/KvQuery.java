package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/**
 * A read-only request, answered by {@link KvStateMachine#query} from the local state on any thread. Whether that
 * state is fresh enough (linearizable, lease, stale) is decided by the server before it asks.
 */
public sealed interface KvQuery extends KvOperation permits KvQuery.Get, KvQuery.Size, KvQuery.Digest, KvQuery.Exists,
        KvQuery.MultiGet, KvQuery.Strlen, KvQuery.Scan {

    /** The value of {@code key}. Result: {@link KvResult.Found} or {@link KvResult.NotFound}. */
    record Get(byte[] key) implements KvQuery {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Get g && Bytes.same(key, g.key);
        }

        @Override
        public int hashCode() {
            return Bytes.hash(key);
        }

        @Override
        public String toString() {
            return "Get[" + Bytes.preview(key) + "]";
        }
    }

    /** Number of keys and the last applied index. Result: {@link KvResult.Stats}. O(1). */
    record Size() implements KvQuery {
    }

    /**
     * A digest of the whole state, equal on two servers iff (with overwhelming probability) they hold the same
     * keys and values. Tests compare it across servers at the same applied index to prove convergence.
     * Result: {@link KvResult.StateDigest}. Costs one SHA-256 per entry; meant for tests and diagnostics.
     */
    record Digest() implements KvQuery {
    }

    /** How many of {@code keys} exist, a key named twice counted twice (Redis {@code EXISTS}). Result: {@link KvResult.Int}. */
    record Exists(List<byte[]> keys) implements KvQuery {
        public Exists {
            keys = List.copyOf(keys);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Exists e && Bytes.sameList(keys, e.keys);
        }

        @Override
        public int hashCode() {
            return Bytes.hashList(keys);
        }

        @Override
        public String toString() {
            return "Exists" + Bytes.previewList(keys);
        }
    }

    /** The values of {@code keys}, from one version of the state (Redis {@code MGET}). Result: {@link KvResult.Values}. */
    record MultiGet(List<byte[]> keys) implements KvQuery {
        public MultiGet {
            keys = List.copyOf(keys);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MultiGet m && Bytes.sameList(keys, m.keys);
        }

        @Override
        public int hashCode() {
            return Bytes.hashList(keys);
        }

        @Override
        public String toString() {
            return "MultiGet" + Bytes.previewList(keys);
        }
    }

    /** The length of the value at {@code key}, 0 if absent (Redis {@code STRLEN}). Result: {@link KvResult.Int}. */
    record Strlen(byte[] key) implements KvQuery {
        public Strlen {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Strlen s && Bytes.same(key, s.key);
        }

        @Override
        public int hashCode() {
            return Bytes.hash(key);
        }

        @Override
        public String toString() {
            return "Strlen[" + Bytes.preview(key) + "]";
        }
    }

    /**
     * One step of a cursor over all keys (Redis {@code SCAN}): up to about {@code count} keys from {@code cursor}
     * on, and the cursor to continue from (0 when the walk is complete). Keys are walked in the order of a 64-bit
     * hash of each key that is the same on every server and in every process, and the cursor is a position in that
     * hash space: a walk from cursor 0 to 0 returns every key that exists for the whole walk exactly once, whatever
     * is written meanwhile, on whichever server each step is served. Each step costs O(count + log n).
     * Result: {@link KvResult.ScanPage}.
     *
     * @param cursor an unsigned 64-bit position; 0 starts a walk
     * @param count  how many keys to aim for (at least 1); more are returned when keys share the last one's hash
     */
    record Scan(long cursor, int count) implements KvQuery {
        public Scan {
            if (count < 1) {
                throw new IllegalArgumentException("count must be positive, got " + count);
            }
        }
    }
}
