package io.raftkv.bench.log;

import io.raftkv.core.message.LogEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The append comparison of {@link LogAppendBenchmark}, made robust to a shared, noisy disk: the Chronicle log and
 * the raw {@code FileChannel.write + force(false)} loop run in alternating one-second slices in the same JVM, so
 * both see the same disk weather; it prints the median rate of each and the median of the per-slice ratios.
 * <pre>
 *   java --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
 *        --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *        io.raftkv.bench.log.LogAppendPairedRun [slices=10] [indexSpacing=16] [sizes=100,4096] [syncs=1,64,1024] \
 *        [raw=framed|bare] [preallocate=on|off|both]
 * </pre>
 * {@code framed} (default): the raw loop writes the log's record bytes ({@code kind|index|term|type|length|payload|
 * crc32c}, 26 bytes + payload) and computes the CRC32C, like the log does; {@code bare}: payload + an 8-byte length
 * header and no checksum (the baseline of the first measurements). It also prints where the time goes: append
 * and sync microseconds per entry for both. {@code preallocate} is the log's option of that name (default off, as the log's);
 * {@code both} runs a second log with it off as a third contender, to show what preallocation changes.
 */
public final class LogAppendPairedRun {
    private static final long SLICE_NANOS = 1_000_000_000L;

    private LogAppendPairedRun() {
    }

    public static void main(String[] args) throws IOException {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int indexSpacing = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int[] sizes = ints(args.length > 2 ? args[2] : "100,4096");
        int[] syncs = ints(args.length > 3 ? args[3] : "1,64,1024");
        boolean framed = !(args.length > 4 && args[4].equals("bare"));
        String prealloc = args.length > 5 ? args[5] : "off";
        System.out.printf("indexSpacing %d, raw baseline %s, preallocate %s; %s%n%-6s %-6s %16s %16s %8s%n", indexSpacing,
                framed ? "framed (same record bytes + CRC32C)" : "bare (payload + 8-byte header)", prealloc,
                new java.io.File(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))).getAbsolutePath(),
                "bytes", "sync", "chronicle/s", "raw/s", "ratio");
        for (int size : sizes) {
            for (int syncEvery : syncs) {
                if (!prealloc.equals("off")) {
                    run(size, syncEvery, slices, indexSpacing, framed, true, prealloc.equals("both"));
                } else {
                    run(size, syncEvery, slices, indexSpacing, framed, false, false);
                }
            }
        }
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static void run(int size, int syncEvery, int slices, int indexSpacing, boolean framed, boolean preallocate,
                            boolean alsoSparse) throws IOException {
        Path dir = LogBench.newDir("paired-append");
        byte[] payload = LogBench.payload(size, 1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ChronicleLogStore log = ChronicleLogStore.open(ChronicleLogOptions.builder(dir.resolve("log"), registry)
                .indexSpacing(indexSpacing).preallocate(preallocate).build());
             ChronicleLogStore sparse = alsoSparse ? ChronicleLogStore.open(ChronicleLogOptions
                     .builder(dir.resolve("sparse"), new SimpleMeterRegistry()).indexSpacing(indexSpacing).preallocate(false)
                     .build()) : null;
             FileChannel raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Chronicle c = new Chronicle(log, payload, syncEvery);
            Chronicle s = alsoSparse ? new Chronicle(sparse, payload, syncEvery) : null;
            Raw r = new Raw(raw, payload, syncEvery, framed);
            c.slice(SLICE_NANOS); // warm-up
            if (s != null) {
                s.slice(SLICE_NANOS);
            }
            r.slice(SLICE_NANOS);
            c.appendNanos = c.syncNanos = r.appendNanos = r.syncNanos = 0;
            c.syncs.clear();
            r.syncs.clear();
            long cEntries = 0;
            long rEntries = 0;
            double[] cr = new double[slices];
            double[] sr = new double[slices];
            double[] rr = new double[slices];
            double[] ratio = new double[slices];
            double[] sparseRatio = new double[slices];
            for (int i = 0; i < slices; i++) {
                cr[i] = c.slice(SLICE_NANOS);
                if (s != null) {
                    sr[i] = s.slice(SLICE_NANOS);
                }
                rr[i] = r.slice(SLICE_NANOS);
                ratio[i] = cr[i] / rr[i];
                sparseRatio[i] = sr[i] / rr[i];
                cEntries += (long) cr[i];
                rEntries += (long) rr[i];
            }
            // Where the time goes, per entry (approximate: entries counted from one-second rates).
            System.out.printf("%-6d %-6d %16.0f %16.0f %8.2f   append/sync us per entry: chronicle %.3f/%.3f raw %.3f/%.3f"
                            + "  ratios %s  sync p10/p50 us chronicle %.0f/%.0f raw %.0f/%.0f  prealloc ready/missed %.0f/%.0f%s%n",
                    size, syncEvery, median(cr), median(rr), median(ratio),
                    c.appendNanos / 1e3 / cEntries, c.syncNanos / 1e3 / cEntries,
                    r.appendNanos / 1e3 / rEntries, r.syncNanos / 1e3 / rEntries, spread(ratio),
                    c.syncs.percentile(0.1), c.syncs.percentile(0.5), r.syncs.percentile(0.1), r.syncs.percentile(0.5),
                    count(registry, "ready"), count(registry, "missed"),
                    s == null ? "" : String.format("  sparse log %.0f/s ratio %.2f %s", median(sr), median(sparseRatio),
                            spread(sparseRatio)));
        } finally {
            LogBench.deleteRecursively(dir);
        }
    }

    private static double count(SimpleMeterRegistry registry, String result) {
        var c = registry.find("raft.log.segments.preallocated").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    /** min–max of the per-slice values. */
    private static String spread(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format("[%.2f–%.2f]", s[0], s[s.length - 1]);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Appends {@code syncEvery} entries then syncs, until the slice is over; returns entries per second. */
    private static final class Chronicle {
        final ChronicleLogStore log;
        final byte[] payload;
        final List<LogEntry> batch;
        final int syncEvery;
        long appendNanos;
        long syncNanos;
        final SyncLatencies syncs = new SyncLatencies();

        Chronicle(ChronicleLogStore log, byte[] payload, int syncEvery) {
            this.log = log;
            this.payload = payload;
            this.syncEvery = syncEvery;
            this.batch = new ArrayList<>(syncEvery);
        }

        double slice(long nanos) throws IOException {
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - start < nanos) {
                long next = log.lastIndex() + 1;
                for (int i = 0; i < syncEvery; i++) {
                    batch.add(LogBench.entry(next + i, payload));
                }
                long t0 = System.nanoTime();
                log.append(batch);
                long t1 = System.nanoTime();
                log.sync();
                appendNanos += t1 - t0;
                long t2 = System.nanoTime();
                syncNanos += t2 - t1;
                syncs.add(t2 - t1);
                batch.clear();
                n += syncEvery;
                if (log.segmentCount() > 3) {
                    log.compactPrefix(log.lastIndex() - 1);
                }
            }
            return n * 1e9 / (System.nanoTime() - start);
        }
    }

    /** The same entries with one write + fdatasync per batch (framed like the log's records, or bare). */
    private static final class Raw {
        /** RecordCodec's framing: kind, index, term, entry type, length; payload; CRC32C. */
        static final int FRAMED_OVERHEAD = 1 + 8 + 8 + 1 + 4 + 4;
        final FileChannel ch;
        final byte[] payload;
        final int syncEvery;
        final boolean framed;
        final ByteBuffer buf;
        final CRC32C crc = new CRC32C();
        long nextIndex = 1;
        long appendNanos;
        long syncNanos;
        final SyncLatencies syncs = new SyncLatencies();

        Raw(FileChannel ch, byte[] payload, int syncEvery, boolean framed) {
            this.ch = ch;
            this.payload = payload;
            this.syncEvery = syncEvery;
            this.framed = framed;
            this.buf = ByteBuffer.allocateDirect(syncEvery * (payload.length + FRAMED_OVERHEAD)).order(ByteOrder.LITTLE_ENDIAN);
        }

        private void put() {
            if (!framed) {
                buf.putInt(payload.length).putInt(0).put(payload);
                return;
            }
            int start = buf.position();
            buf.put((byte) 1).putLong(nextIndex++).putLong(1).put((byte) 0).putInt(payload.length).put(payload);
            crc.reset();
            crc.update(buf.duplicate().position(start).limit(buf.position()));
            buf.putInt((int) crc.getValue());
        }

        double slice(long nanos) throws IOException {
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - start < nanos) {
                long t0 = System.nanoTime();
                buf.clear();
                for (int i = 0; i < syncEvery; i++) {
                    put();
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                long t1 = System.nanoTime();
                ch.force(false);
                appendNanos += t1 - t0;
                long t2 = System.nanoTime();
                syncNanos += t2 - t1;
                syncs.add(t2 - t1);
                n += syncEvery;
                if (ch.position() > (256L << 20)) {
                    ch.truncate(0);
                }
            }
            return n * 1e9 / (System.nanoTime() - start);
        }
    }
}
