package io.raftkv.bench.log;

import io.raftkv.core.message.LogEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The append comparison of {@link LogAppendBenchmark}, made robust to a shared, noisy disk: the Chronicle log and
 * the raw {@code FileChannel.write + force(false)} loop run in alternating one-second slices in the same JVM, so
 * both see the same disk weather; it prints the median rate of each and the median of the per-slice ratios.
 * <pre>
 *   java --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
 *        --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *        io.raftkv.bench.log.LogAppendPairedRun [slices=10] [indexSpacing=16] [sizes=100,4096] [syncs=1,64,1024]
 * </pre>
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
        System.out.printf("indexSpacing %d%n%-6s %-6s %16s %16s %8s%n", indexSpacing, "bytes", "sync", "chronicle/s",
                "raw/s", "ratio");
        for (int size : sizes) {
            for (int syncEvery : syncs) {
                run(size, syncEvery, slices, indexSpacing);
            }
        }
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static void run(int size, int syncEvery, int slices, int indexSpacing) throws IOException {
        Path dir = LogBench.newDir("paired-append");
        byte[] payload = LogBench.payload(size, 1);
        try (ChronicleLogStore log = ChronicleLogStore.open(ChronicleLogOptions
                .builder(dir, new SimpleMeterRegistry()).indexSpacing(indexSpacing).build());
             FileChannel raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Chronicle c = new Chronicle(log, payload, syncEvery);
            Raw r = new Raw(raw, payload, syncEvery);
            c.slice(SLICE_NANOS); // warm-up
            r.slice(SLICE_NANOS);
            double[] cr = new double[slices];
            double[] rr = new double[slices];
            double[] ratio = new double[slices];
            for (int i = 0; i < slices; i++) {
                cr[i] = c.slice(SLICE_NANOS);
                rr[i] = r.slice(SLICE_NANOS);
                ratio[i] = cr[i] / rr[i];
            }
            System.out.printf("%-6d %-6d %16.0f %16.0f %8.2f%n", size, syncEvery, median(cr), median(rr), median(ratio));
        } finally {
            LogBench.deleteRecursively(dir);
        }
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
                log.append(batch);
                log.sync();
                batch.clear();
                n += syncEvery;
                if (log.segmentCount() > 3) {
                    log.compactPrefix(log.lastIndex() - 1);
                }
            }
            return n * 1e9 / (System.nanoTime() - start);
        }
    }

    /** The same bytes (plus an 8-byte length header) with one write + fdatasync per batch. */
    private static final class Raw {
        final FileChannel ch;
        final byte[] payload;
        final int syncEvery;
        final ByteBuffer buf;

        Raw(FileChannel ch, byte[] payload, int syncEvery) {
            this.ch = ch;
            this.payload = payload;
            this.syncEvery = syncEvery;
            this.buf = ByteBuffer.allocateDirect(syncEvery * (payload.length + 8));
        }

        double slice(long nanos) throws IOException {
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - start < nanos) {
                buf.clear();
                for (int i = 0; i < syncEvery; i++) {
                    buf.putInt(payload.length).putInt(0).put(payload);
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(false);
                n += syncEvery;
                if (ch.position() > (256L << 20)) {
                    ch.truncate(0);
                }
            }
            return n * 1e9 / (System.nanoTime() - start);
        }
    }
}
