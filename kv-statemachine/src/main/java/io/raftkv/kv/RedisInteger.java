package io.raftkv.kv;

/**
 * Redis's integers as strings: what {@link KvCommand.IncrBy} accepts as a stored value, and what a Redis front door
 * accepts as an integer argument. Part of the deterministic state machine: never change what it accepts.
 */
public final class RedisInteger {
    /** Longest decimal form of a signed 64-bit integer ("-9223372036854775808"). */
    private static final int MAX_DIGITS = 20;

    private RedisInteger() {
    }

    /**
     * A decimal signed 64-bit integer in Redis's strict form (its {@code string2ll}): an optional '-', then "0" alone
     * or a non-zero digit followed by digits; no '+', no spaces, no leading zeros, no "-0". Null if not one.
     */
    public static Long parse(byte[] b) {
        if (b.length == 0 || b.length > MAX_DIGITS) {
            return null;
        }
        if (b.length == 1 && b[0] == '0') {
            return 0L;
        }
        boolean negative = b[0] == '-';
        int start = negative ? 1 : 0;
        if (start == b.length || b[start] < '1' || b[start] > '9') {
            return null;
        }
        long v = 0; // accumulated as a negative number: its range reaches Long.MIN_VALUE
        for (int k = start; k < b.length; k++) {
            if (b[k] < '0' || b[k] > '9') {
                return null;
            }
            int digit = b[k] - '0';
            if (v < (Long.MIN_VALUE + digit) / 10) {
                return null; // v * 10 - digit would pass Long.MIN_VALUE
            }
            v = v * 10 - digit;
        }
        if (negative) {
            return v;
        }
        return v == Long.MIN_VALUE ? null : -v;
    }
}
