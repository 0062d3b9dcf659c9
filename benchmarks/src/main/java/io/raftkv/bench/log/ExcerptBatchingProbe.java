package io.raftkv.bench.log;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Answers "would writing a whole append batch as ONE Chronicle excerpt reach the raw loop?" before anyone
 * rewrites the log for it. Bare Chronicle Queue (no {@code ChronicleLogStore}), the log's record framing
 * ({@code kind|index|term|type|length|payload|crc32c}, 26 bytes + payload, CRC32C computed) written three ways,
 * each followed by one {@code force(false)} per batch, in alternating one-second slices in one JVM:
 * <ul>
 *   <li>{@code perRecord}: one excerpt per record (what the log does today);</li>
 *   <li>{@code perBatch}: all records of the batch in one excerpt (the proposed design);</li>
 *   <li>{@code raw}: the same framed bytes with one {@code FileChannel.write} per batch.</li>
 * </ul>
 * Segments roll every 48 MiB like the log's (logical clock), and the previous file is deleted. It also prints the
 * thread CPU time (user + system, so page faults count) of the write phase per entry, which the disk's noise does
 * not move.
 * <pre>
 *   java [Chronicle flags] -cp benchmarks/target/benchmarks.jar io.raftkv.bench.log.ExcerptBatchingProbe \
 *        [slices=6] [indexSpacing=16] [sizes=100,4096] [syncs=64,1024]
 * </pre>
 */
public final class ExcerptBatchingProbe {
    private static final long SLICE_NANOS = 1_000_000_000L;
    private static final long SEGMENT_BYTES = 48L << 20;
    private static final int OVERHEAD = 1 + 8 + 8 + 1 + 4 + 4;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private ExcerptBatchingProbe() {
    }

    public static void main(String[] args) throws IOException {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int indexSpacing = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int[] sizes = Arrays.stream((args.length > 2 ? args[2] : "100,4096").split(",")).mapToInt(Integer::parseInt).toArray();
        int[] syncs = Arrays.stream((args.length > 3 ? args[3] : "64,1024").split(",")).mapToInt(Integer::parseInt).toArray();
        System.out.printf("indexSpacing %d, entries/s (median of %d slices) and median per-slice ratio to raw%n", indexSpacing, slices);
        System.out.printf("%-6s %-6s %12s %12s %12s %10s %10s   %s%n", "bytes", "sync", "perRecord", "perBatch", "raw",
                "perRec/raw", "perBat/raw", "write CPU us/entry perRecord/perBatch/raw");
        for (int size : sizes) {
            for (int sync : syncs) {
                run(size, sync, slices, indexSpacing);
            }
        }
    }

    private static void run(int size, int syncEvery, int slices, int indexSpacing) throws IOException {
        Path dir = LogBench.newDir("excerpt-probe");
        try {
            Writer perRecord = new ChronicleWriter(dir.resolve("per-record"), size, syncEvery, indexSpacing, false);
            Writer perBatch = new ChronicleWriter(dir.resolve("per-batch"), size, syncEvery, indexSpacing, true);
            Writer raw = new RawWriter(dir.resolve("raw.log"), size, syncEvery);
            Writer[] all = {perRecord, perBatch, raw};
            for (Writer w : all) {
                w.slice(SLICE_NANOS); // warm-up
            }
            double[][] rate = new double[3][slices];
            double[][] ratio = new double[2][slices];
            for (int i = 0; i < slices; i++) {
                for (int w = 0; w < 3; w++) {
                    rate[w][i] = all[w].slice(SLICE_NANOS);
                }
                ratio[0][i] = rate[0][i] / rate[2][i];
                ratio[1][i] = rate[1][i] / rate[2][i];
            }
            for (Writer w : all) {
                w.close();
            }
            System.out.printf("%-6d %-6d %12.0f %12.0f %12.0f %10.2f %10.2f   %.3f/%.3f/%.3f%n", size, syncEvery,
                    median(rate[0]), median(rate[1]), median(rate[2]), median(ratio[0]), median(ratio[1]),
                    perRecord.writeCpuMicrosPerEntry(), perBatch.writeCpuMicrosPerEntry(), raw.writeCpuMicrosPerEntry());
        } finally {
            LogBench.deleteRecursively(dir);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private abstract static class Writer {
        final byte[] payload;
        final int syncEvery;
        final CRC32C crc = new CRC32C();
        final ByteBuffer record;
        long nextIndex = 1;

        Writer(int size, int syncEvery) {
            this.payload = LogBench.payload(size, 1);
            this.syncEvery = syncEvery;
            this.record = ByteBuffer.allocate(OVERHEAD + size).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Frames the next record into {@link #record} (position 0, limit = its length). */
        void frame() {
            record.clear();
            record.put((byte) 1).putLong(nextIndex++).putLong(1).put((byte) 0).putInt(payload.length).put(payload);
            crc.reset();
            crc.update(record.array(), 0, record.position());
            record.putInt((int) crc.getValue());
            record.flip();
        }

        /** CPU time (user + system, so page faults count) spent writing, not syncing; and entries written. */
        long writeCpuNanos;
        long entries;

        double slice(long nanos) throws IOException {
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - start < nanos) {
                long cpu0 = CPU.getCurrentThreadCpuTime();
                write();
                writeCpuNanos += CPU.getCurrentThreadCpuTime() - cpu0;
                sync();
                n += syncEvery;
            }
            entries += n;
            return n * 1e9 / (System.nanoTime() - start);
        }

        double writeCpuMicrosPerEntry() {
            return writeCpuNanos / 1e3 / entries;
        }

        abstract void write() throws IOException;

        abstract void sync() throws IOException;

        abstract void close() throws IOException;
    }

    private static final class ChronicleWriter extends Writer {
        final Path dir;
        final boolean oneExcerptPerBatch;
        final AtomicLong clock = new AtomicLong(RollCycles.FAST_DAILY.lengthInMillis());
        final SingleChronicleQueue queue;
        final ExcerptAppender appender;
        FileChannel channel;
        Path file;
        long segmentBytes;

        ChronicleWriter(Path dir, int size, int syncEvery, int indexSpacing, boolean oneExcerptPerBatch) {
            super(size, syncEvery);
            this.dir = dir;
            this.oneExcerptPerBatch = oneExcerptPerBatch;
            this.queue = SingleChronicleQueueBuilder.binary(dir.toFile()).rollCycle(RollCycles.FAST_DAILY).epoch(0)
                    .timeProvider(clock::get).blockSize(64L << 20).indexSpacing(indexSpacing).syncMode(SyncMode.NONE).build();
            this.appender = queue.createAppender();
        }

        @Override
        void write() {
            if (oneExcerptPerBatch) {
                try (DocumentContext dc = appender.writingDocument()) {
                    Bytes<?> out = dc.wire().bytes();
                    for (int i = 0; i < syncEvery; i++) {
                        frame();
                        out.write(record.array(), 0, record.limit());
                    }
                }
                segmentBytes += (long) syncEvery * (OVERHEAD + payload.length) + 4;
            } else {
                for (int i = 0; i < syncEvery; i++) {
                    frame();
                    try (DocumentContext dc = appender.writingDocument()) {
                        dc.wire().bytes().write(record.array(), 0, record.limit());
                    }
                }
                segmentBytes += (long) syncEvery * (OVERHEAD + payload.length + 4);
            }
        }

        @Override
        void sync() throws IOException {
            if (channel == null) {
                file = Files.list(dir).filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
                channel = FileChannel.open(file, StandardOpenOption.WRITE);
            }
            channel.force(false);
            if (segmentBytes >= SEGMENT_BYTES) { // roll like the log: next cycle, drop the old file
                channel.close();
                channel = null;
                clock.addAndGet(RollCycles.FAST_DAILY.lengthInMillis());
                segmentBytes = 0;
                Path old = file;
                try (DocumentContext dc = appender.writingDocument()) { // rolls; an empty marker-sized excerpt
                    dc.wire().bytes().writeLong(0);
                }
                Files.delete(old);
                queue.refreshDirectoryListing();
                try (Stream<Path> s = Files.list(dir)) {
                    file = s.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
                }
                channel = FileChannel.open(file, StandardOpenOption.WRITE);
            }
        }

        @Override
        void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
            appender.close();
            queue.close();
        }
    }

    private static final class RawWriter extends Writer {
        final FileChannel ch;
        final ByteBuffer buf;

        RawWriter(Path file, int size, int syncEvery) throws IOException {
            super(size, syncEvery);
            this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            this.buf = ByteBuffer.allocateDirect(syncEvery * (OVERHEAD + size));
        }

        @Override
        void write() throws IOException {
            buf.clear();
            for (int i = 0; i < syncEvery; i++) {
                frame();
                buf.put(record);
            }
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }

        @Override
        void sync() throws IOException {
            ch.force(false);
            if (ch.position() > SEGMENT_BYTES) {
                ch.truncate(0);
            }
        }

        @Override
        void close() throws IOException {
            ch.close();
        }
    }
}
