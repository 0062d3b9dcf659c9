package io.raftkv.bench.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * Measures the write path of the design the README proposes instead of Chronicle Queue, before anyone builds it:
 * the log's framed records (26 bytes + payload, CRC32C) written with positional {@code FileChannel.write} into
 * 48 MiB segment files that a background thread zero-filled and fsynced ahead of time, one {@code force(false)}
 * per batch, plus the in-memory sparse position index such a log would keep (one {@code long} per 16 entries).
 * Against the raw loop of {@link LogAppendPairedRun} (framed, appending to a growing file), in alternating
 * one-second slices. The zero fill runs during both contenders' slices, so its disk traffic is paid honestly; when
 * it is not ready at a roll, the segment is created empty and appended to (the raw loop's pattern).
 * Only the write path: no reads, recovery or truncation.
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.raftkv.bench.log.PlainSegmentProbe [slices=8] [sizes=100,4096] [syncs=64,1024]
 * </pre>
 */
public final class PlainSegmentProbe {
    private static final long SLICE_NANOS = 1_000_000_000L;
    private static final long SEGMENT_BYTES = 48L << 20;
    private static final long PREALLOCATE_BYTES = SEGMENT_BYTES + SEGMENT_BYTES / 16;
    private static final int OVERHEAD = 1 + 8 + 8 + 1 + 4 + 4;

    private PlainSegmentProbe() {
    }

    public static void main(String[] args) throws Exception {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int[] sizes = Arrays.stream((args.length > 1 ? args[1] : "100,4096").split(",")).mapToInt(Integer::parseInt).toArray();
        int[] syncs = Arrays.stream((args.length > 2 ? args[2] : "64,1024").split(",")).mapToInt(Integer::parseInt).toArray();
        System.out.printf("plain preallocated segments vs raw loop (both framed + CRC32C), %d slices, load %s%n", slices,
                Files.readString(Path.of("/proc/loadavg")).trim());
        for (int size : sizes) {
            for (int sync : syncs) {
                run(size, sync, slices);
            }
        }
    }

    private static void run(int size, int syncEvery, int slices) throws Exception {
        Path dir = LogBench.newDir("plain-probe");
        byte[] payload = LogBench.payload(size, 1);
        try (Plain plain = new Plain(dir, payload, syncEvery); Raw raw = new Raw(dir.resolve("raw.log"), payload, syncEvery)) {
            plain.slice();
            raw.slice();
            plain.syncs.clear();
            raw.syncs.clear();
            double[] p = new double[slices];
            double[] r = new double[slices];
            double[] ratio = new double[slices];
            for (int i = 0; i < slices; i++) {
                p[i] = plain.slice();
                r[i] = raw.slice();
                ratio[i] = p[i] / r[i];
            }
            double[] sortedRatio = ratio.clone();
            Arrays.sort(sortedRatio);
            System.out.printf("%-6d %-6d plain %10.0f/s raw %10.0f/s ratio %.2f [%.2f–%.2f]  sync p10/p50 us plain %.0f/%.0f"
                            + " raw %.0f/%.0f  preallocated ready/missed %d/%d%n", size, syncEvery, median(p), median(r),
                    median(ratio), sortedRatio[0], sortedRatio[slices - 1], plain.syncs.percentile(0.1),
                    plain.syncs.percentile(0.5), raw.syncs.percentile(0.1), raw.syncs.percentile(0.5), plain.ready, plain.missed);
        } finally {
            LogBench.deleteRecursively(dir);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Framed records of one batch, as RecordCodec lays them out, into a reused direct buffer. */
    private static final class Batch {
        final ByteBuffer buf;
        final byte[] payload;
        final CRC32C crc = new CRC32C();

        Batch(byte[] payload, int syncEvery) {
            this.payload = payload;
            this.buf = ByteBuffer.allocateDirect(syncEvery * (payload.length + OVERHEAD)).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Appends one record; returns its offset in the batch. */
        int put(long index) {
            int start = buf.position();
            buf.put((byte) 1).putLong(index).putLong(1).put((byte) 0).putInt(payload.length).put(payload);
            crc.reset();
            crc.update(buf.duplicate().position(start).limit(buf.position()));
            buf.putInt((int) crc.getValue());
            return start;
        }
    }

    private abstract static class Contender implements AutoCloseable {
        final Batch batch;
        final int syncEvery;
        final SyncLatencies syncs = new SyncLatencies();
        long nextIndex = 1;

        Contender(byte[] payload, int syncEvery) {
            this.batch = new Batch(payload, syncEvery);
            this.syncEvery = syncEvery;
        }

        abstract void write(ByteBuffer b) throws IOException;

        abstract void force() throws IOException;

        void fill() {
            batch.buf.clear();
            for (int i = 0; i < syncEvery; i++) {
                batch.put(nextIndex++);
            }
            batch.buf.flip();
        }

        double slice() throws IOException {
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - start < SLICE_NANOS) {
                fill();
                write(batch.buf);
                long t = System.nanoTime();
                force();
                syncs.add(System.nanoTime() - t);
                n += syncEvery;
            }
            return n * 1e9 / (System.nanoTime() - start);
        }
    }

    /** The raw loop: append to a growing file, truncated to 0 past 256 MiB. */
    private static final class Raw extends Contender {
        final FileChannel ch;

        Raw(Path file, byte[] payload, int syncEvery) throws IOException {
            super(payload, syncEvery);
            this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }

        @Override
        void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            if (ch.position() > (256L << 20)) {
                ch.truncate(0);
            }
        }

        @Override
        void force() throws IOException {
            ch.force(false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /** The proposed write path: pwrite into zero-filled segments, plus a sparse position index. */
    private static final class Plain extends Contender {
        final Path dir;
        final Path prepared;
        final ExecutorService zeroFill = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "plain-probe-zero-fill");
            t.setDaemon(true);
            return t;
        });
        final ArrayDeque<Path> segments = new ArrayDeque<>();
        Future<?> pending;
        FileChannel ch;
        long pos;
        long[] positions = new long[1 << 16];
        int positionCount;
        int segment;
        int ready;
        int missed;

        Plain(Path dir, byte[] payload, int syncEvery) throws IOException {
            super(payload, syncEvery);
            this.dir = dir;
            this.prepared = dir.resolve("next.prealloc");
            roll();
        }

        private void roll() throws IOException {
            if (ch != null) {
                ch.force(false);
                ch.close();
            }
            Path file = dir.resolve("segment-" + segment++);
            if (pending != null && pending.isDone()) {
                pending = null;
                Files.move(prepared, file, StandardCopyOption.ATOMIC_MOVE);
                ready++;
            } else {
                missed++;
            }
            if (pending == null) {
                pending = zeroFill.submit(() -> {
                    SyncCostProbe.zeroFill(prepared, PREALLOCATE_BYTES);
                    return null;
                });
            }
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            pos = 0;
            positionCount = 0;
            segments.add(file);
            while (segments.size() > 3) {
                Files.delete(segments.removeFirst()); // what compaction after a snapshot would do
            }
        }

        @Override
        void fill() {
            batch.buf.clear();
            for (int i = 0; i < syncEvery; i++) {
                long index = nextIndex++;
                int offset = batch.put(index);
                if (index % 16 == 0) { // the sparse index a reader would binary-search or compute from
                    if (positionCount == positions.length) {
                        positions = Arrays.copyOf(positions, positionCount * 2);
                    }
                    positions[positionCount++] = pos + offset;
                }
            }
            batch.buf.flip();
        }

        @Override
        void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
            if (pos >= SEGMENT_BYTES) {
                roll();
            }
        }

        @Override
        void force() throws IOException {
            ch.force(false);
        }

        @Override
        public void close() throws Exception {
            zeroFill.shutdownNow();
            zeroFill.awaitTermination(10, TimeUnit.SECONDS);
            ch.close();
        }
    }
}
