package io.raftkv.kv;

import io.vavr.Tuple2;
import io.vavr.collection.HashMap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * An order-independent digest of the map's contents, for proving that servers converged.
 *
 * <p>Each entry is hashed with SHA-256 over {@code keyLength(4, big-endian) | key | valueLength(4) | value}, and
 * the entry hashes are added lane-wise (four 64-bit lanes, each modulo 2^64). Addition is commutative, so the
 * digest does not depend on the map's iteration order (which depends on per-process hash keys, see
 * {@link ByteKey}): equal contents give equal digests on every server. The empty map's digest is all zeros.
 */
final class KvDigest {
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private KvDigest() {
    }

    static byte[] of(HashMap<ByteKey, byte[]> entries) {
        MessageDigest sha = sha256();
        long[] lanes = new long[4];
        byte[] len = new byte[4];
        for (Tuple2<ByteKey, byte[]> e : entries) {
            INT_BE.set(len, 0, e._1.length());
            sha.update(len);
            sha.update(e._1.bytes());
            INT_BE.set(len, 0, e._2.length);
            sha.update(len);
            sha.update(e._2);
            byte[] h = sha.digest();
            for (int lane = 0; lane < 4; lane++) {
                lanes[lane] += (long) LONG_BE.get(h, lane * 8);
            }
        }
        byte[] out = new byte[KvCodec.DIGEST_BYTES];
        for (int lane = 0; lane < 4; lane++) {
            LONG_BE.set(out, lane * 8, lanes[lane]);
        }
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }
}
