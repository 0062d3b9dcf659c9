package io.raftkv.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The memo of the search: configurations already explored (or being explored on the current path).
 *
 * <p>A configuration is (the set of operations linearized so far, the register's value). Lowe's algorithm skips a
 * configuration it has seen before, because it has the same futures. This cache also skips a configuration
 * that is <em>dominated</em> by one it has seen: same value, same definite (OK) operations linearized, and a
 * superset of the UNKNOWN operations linearized. The dominating configuration can do everything the dominated one
 * can — the extra UNKNOWN operations impose no real-time order on anything and may also be linearized later or
 * never — so if it failed, so does the dominated one. Without this, each UNKNOWN write whose effect was later
 * overwritten splits the search in two identical halves (taken, or not).
 *
 * <p>Keys are exact (no hashing shortcuts that could merge different configurations). To keep them small, the
 * definite set drops its leading all-ones words: the search advances roughly in real-time order, so most of the
 * set is a dense prefix.
 */
final class SearchCache {
    /** Rough bytes per map entry beyond the bit words: node, key object, array headers, list. */
    private static final long ENTRY_OVERHEAD = 160;
    private static final long UNKNOWN_SET_OVERHEAD = 24;

    private final Map<DefiniteKey, List<long[]>> seen = new HashMap<>();
    private long estimatedBytes;
    private long size;

    /**
     * Records the configuration unless it (or one dominating it) was seen.
     *
     * @param restriction 0 for a configuration that allows any next operation; {@code v + 1} for one entered
     *                    through an UNKNOWN operation from value {@code v}, which only allows next an operation that
     *                    does not fit {@code v} (see {@link WglSearch}). Only configurations with the same
     *                    restriction are compared.
     * @return true if the configuration is new and must be explored
     */
    boolean visit(int state, int restriction, long[] definite, long[] unknown) {
        DefiniteKey key = DefiniteKey.of(state, restriction, definite);
        long[] unknownSet = trim(unknown);
        List<long[]> sets = seen.get(key);
        if (sets == null) {
            sets = new ArrayList<>(2);
            seen.put(key, sets);
            estimatedBytes += ENTRY_OVERHEAD + 8L * key.words.length;
        } else {
            for (long[] explored : sets) {
                if (isSubset(explored, unknownSet)) {
                    return false;
                }
            }
            // The new, smaller set dominates any explored superset of it: forget those to keep the list short.
            for (int i = sets.size() - 1; i >= 0; i--) {
                if (isSubset(unknownSet, sets.get(i))) {
                    estimatedBytes -= UNKNOWN_SET_OVERHEAD + 8L * sets.get(i).length;
                    sets.remove(i);
                    size--;
                }
            }
        }
        sets.add(unknownSet);
        estimatedBytes += UNKNOWN_SET_OVERHEAD + 8L * unknownSet.length;
        size++;
        return true;
    }

    long estimatedBytes() {
        return estimatedBytes;
    }

    long size() {
        return size;
    }

    private static boolean isSubset(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            long bi = i < b.length ? b[i] : 0L;
            if ((a[i] & ~bi) != 0) {
                return false;
            }
        }
        return true;
    }

    private static long[] trim(long[] words) {
        int end = words.length;
        while (end > 0 && words[end - 1] == 0) {
            end--;
        }
        return Arrays.copyOf(words, end);
    }

    /** The register value and the definite set without its leading all-ones words. */
    private static final class DefiniteKey {
        final int state;
        final int restriction;
        final int skippedWords;
        final long[] words;
        final int hash;

        private DefiniteKey(int state, int restriction, int skippedWords, long[] words) {
            this.state = state;
            this.restriction = restriction;
            this.skippedWords = skippedWords;
            this.words = words;
            this.hash = 31 * (31 * (31 * state + restriction) + skippedWords) + Arrays.hashCode(words);
        }

        static DefiniteKey of(int state, int restriction, long[] definite) {
            int lo = 0;
            while (lo < definite.length && definite[lo] == -1L) {
                lo++;
            }
            int hi = definite.length;
            while (hi > lo && definite[hi - 1] == 0) {
                hi--;
            }
            return new DefiniteKey(state, restriction, lo, Arrays.copyOfRange(definite, lo, hi));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DefiniteKey k && k.hash == hash && k.state == state
                    && k.restriction == restriction && k.skippedWords == skippedWords && Arrays.equals(k.words, words);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
