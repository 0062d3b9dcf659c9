package io.raftkv.bench.load;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Latencies (HdrHistogram, microseconds) and error counts of one operation type, recorded from many threads. */
final class OperationStats {
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder ok = new LongAdder();

    void recordOk(long latencyNanos) {
        recorder.recordValue(Math.max(1, latencyNanos / 1000));
        ok.increment();
    }

    void recordError(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Folds the interval since the last call into the total; returns the interval (for progress lines). */
    synchronized Histogram interval() {
        Histogram h = recorder.getIntervalHistogram();
        total.add(h);
        return h;
    }

    synchronized Histogram total() {
        interval();
        return total;
    }

    long okCount() {
        return ok.sum();
    }

    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    void reset() {
        synchronized (this) {
            recorder.reset();
            total.reset();
        }
        errors.clear();
        ok.reset();
    }
}
