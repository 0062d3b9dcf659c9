package io.raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Helpers for the {@code byte[]} components of the KV records. Java records compare arrays by identity, so every
 * record with a {@code byte[]} overrides equals/hashCode/toString through these.
 */
final class Bytes {
    private static final int PREVIEW = 32;

    private Bytes() {
    }

    /** Content equality, with {@code null} equal only to {@code null}. */
    static boolean same(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }

    static int hash(byte[] a) {
        return Arrays.hashCode(a);
    }

    /** A short human-readable preview: printable ASCII as text, anything else as hex; long arrays are cut. */
    static String preview(byte[] a) {
        if (a == null) {
            return "null";
        }
        int n = Math.min(a.length, PREVIEW);
        boolean printable = true;
        for (int i = 0; i < n && printable; i++) {
            printable = a[i] >= 0x20 && a[i] < 0x7f;
        }
        StringBuilder sb = new StringBuilder();
        if (printable) {
            sb.append('"').append(new String(a, 0, n, StandardCharsets.US_ASCII)).append('"');
        } else {
            sb.append("0x");
            for (int i = 0; i < n; i++) {
                sb.append(Character.forDigit((a[i] >> 4) & 0xf, 16)).append(Character.forDigit(a[i] & 0xf, 16));
            }
        }
        if (a.length > n) {
            sb.append("…(").append(a.length).append(" bytes)");
        }
        return sb.toString();
    }

    /** Content equality of two lists of arrays. */
    static boolean sameList(java.util.List<byte[]> a, java.util.List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    static int hashList(java.util.List<byte[]> a) {
        int h = 1;
        for (byte[] b : a) {
            h = 31 * h + Arrays.hashCode(b);
        }
        return h;
    }

    /** Previews of the first few arrays of a list. */
    static String previewList(java.util.List<byte[]> a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(a.size(), 8); i++) {
            sb.append(i > 0 ? ", " : "").append(preview(a.get(i)));
        }
        return sb.append(a.size() > 8 ? ", …(" + a.size() + " keys)]" : "]").toString();
    }
}
