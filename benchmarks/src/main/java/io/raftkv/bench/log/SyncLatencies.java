package io.raftkv.bench.log;

import org.HdrHistogram.Histogram;

/**
 * Latencies of single syncs in the paired log runs: the low percentiles show the structural cost of an fsync even
 * on a noisy disk. An HdrHistogram (3 significant digits) so that recording costs no allocation in the timed loop.
 */
final class SyncLatencies {
    private final Histogram nanos = new Histogram(3);

    void add(long nanosTaken) {
        nanos.recordValue(Math.max(0, nanosTaken));
    }

    void clear() {
        nanos.reset();
    }

    /** The {@code q}-quantile (0..1) in microseconds, NaN if nothing was recorded. */
    double percentile(double q) {
        return nanos.getTotalCount() == 0 ? Double.NaN : nanos.getValueAtPercentile(q * 100) / 1e3;
    }
}
