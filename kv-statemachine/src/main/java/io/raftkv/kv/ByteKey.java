package io.raftkv.kv;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A key of the map: a byte array with content equality and a cached hash. The array is not copied and must not
 * change after construction (the store only builds keys from freshly decoded arrays).
 *
 * <p>The hash is SipHash-2-4 under a random per-process key (see {@link SipHash}): a persistent hash map, like
 * any hash map, degrades to a linear scan on keys whose hashes collide, and a client must not be able to choose
 * such keys. Hash values therefore differ between processes; nothing replicated depends on them.
 */
final class ByteKey implements Comparable<ByteKey> {
    private static final long K0;
    private static final long K1;

    static {
        SecureRandom random = new SecureRandom();
        K0 = random.nextLong();
        K1 = random.nextLong();
    }

    private final byte[] bytes;
    private final int hash;

    private ByteKey(byte[] bytes) {
        this.bytes = bytes;
        long h = SipHash.hash(K0, K1, bytes);
        this.hash = (int) (h ^ (h >>> 32));
    }

    /** Wraps {@code bytes} without copying. */
    static ByteKey wrap(byte[] bytes) {
        return new ByteKey(bytes);
    }

    /** The key's bytes (not a copy: do not modify). */
    byte[] bytes() {
        return bytes;
    }

    int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** Unsigned lexicographic order, the order of the keys as byte strings. */
    @Override
    public int compareTo(ByteKey o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return Bytes.preview(bytes);
    }
}
