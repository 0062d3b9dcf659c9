package io.raftkv.kv;

import java.util.Objects;

/**
 * A read-only request, answered by {@link KvStateMachine#query} from the local state on any thread. Whether that
 * state is fresh enough (linearizable, lease, stale) is decided by the server before it asks.
 */
public sealed interface KvQuery permits KvQuery.Get, KvQuery.Size, KvQuery.Digest {

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
}
