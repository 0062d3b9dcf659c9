package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SipHashTest {
    /** Key 00 01 .. 0f as in the SipHash paper's test vectors (k0, k1 read little-endian). */
    private static final long K0 = 0x0706050403020100L;
    private static final long K1 = 0x0f0e0d0c0b0a0908L;

    private static byte[] counting(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void matchesTheReferenceVectors() {
        assertEquals(0x726fdb47dd0e0e31L, SipHash.hash(K0, K1, counting(0)));   // tail only
        assertEquals(0x93f5f5799a932462L, SipHash.hash(K0, K1, counting(8)));   // one block, empty tail
        assertEquals(0xa129ca6149be45e5L, SipHash.hash(K0, K1, counting(15)));  // the paper's worked example
    }

    @Test
    void byteKeysCompareByContent() {
        ByteKey a = ByteKey.wrap(new byte[]{1, 2, 3});
        ByteKey b = ByteKey.wrap(new byte[]{1, 2, 3});
        ByteKey c = ByteKey.wrap(new byte[]{1, 2, (byte) 0xff});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
        assertTrue(a.compareTo(c) < 0, "unsigned order: 0x03 < 0xff");
    }
}
