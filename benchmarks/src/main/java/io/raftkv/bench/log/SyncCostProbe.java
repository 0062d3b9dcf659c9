package io.raftkv.bench.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * What does one {@code fdatasync} cost for the same batch of bytes, depending on HOW the bytes reached the file?
 * Answers why the Chronicle log's sync costs more than the raw loop's, without Chronicle in the picture. Seven
 * writers, each {@code batch bytes} then {@code force(false)}, in interleaved groups of 50 syncs (so all see the
 * same disk weather); it prints p10/p50/p90 of the sync and p50 of the write phase:
 * <ul>
 *   <li>{@code append}: {@code FileChannel.write} at the end of a growing file (the raw loop's pattern);</li>
 *   <li>{@code pwritePrealloc}: positional writes into a file zero-filled and fsynced beforehand;</li>
 *   <li>{@code mmapHole}: bytes copied into a mapping of a sparse file (what Chronicle does: a new cycle file
 *       is sparse);</li>
 *   <li>{@code mmapPrealloc}: the same into a mapping of a zero-filled, fsynced file (what a segment
 *       preallocator gives Chronicle);</li>
 *   <li>{@code +2pg}: additionally one 8-byte store to page 0 and one to an earlier "index" page per batch, as
 *       Chronicle updates its header's write position and an index array slot.</li>
 * </ul>
 * Files roll (mmap) or wrap (pwrite) at 48 MiB; zero-filling happens outside the timed phases.
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.raftkv.bench.log.SyncCostProbe [batchBytes=6656] [groups=20]
 * </pre>
 * 6656 = 64 framed 100 B records (sync every 64); 105472 = 1024 of them.
 */
public final class SyncCostProbe {
    private static final long SEGMENT = 48L << 20;
    private static final long MAPPING = 80L << 20; // Chronicle's mapping of a 64 MiB block + overlap
    private static final int GROUP = 50;

    private SyncCostProbe() {
    }

    private interface Writer {
        void batch(ByteBuffer src) throws IOException;

        void sync() throws IOException;

        void close() throws IOException;
    }

    public static void main(String[] args) throws IOException {
        int batchBytes = args.length > 0 ? Integer.parseInt(args[0]) : 6656;
        int groups = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = LogBench.newDir("sync-cost");
        ByteBuffer src = ByteBuffer.allocateDirect(batchBytes);
        for (int i = 0; i < batchBytes; i++) {
            src.put(i, (byte) (i * 31 + 7));
        }
        String[] names = {"append", "pwritePrealloc", "pwritePrealloc+2pg", "mmapHole", "mmapHole+2pg", "mmapPrealloc",
                "mmapPrealloc+2pg"};
        Writer[] writers = {new Append(dir.resolve("append")), new Pwrite(dir.resolve("pwrite"), false),
                new Pwrite(dir.resolve("pwrite2"), true), new Mmap(dir, "hole", false, false), new Mmap(dir, "hole2", false, true),
                new Mmap(dir, "pre", true, false), new Mmap(dir, "pre2", true, true)};
        long[][] sync = new long[writers.length][groups * GROUP];
        long[][] write = new long[writers.length][groups * GROUP];
        try {
            for (int g = 0; g < groups; g++) {
                for (int w = 0; w < writers.length; w++) {
                    for (int j = 0; j < GROUP; j++) {
                        src.clear();
                        long t0 = System.nanoTime();
                        writers[w].batch(src);
                        long t1 = System.nanoTime();
                        writers[w].sync();
                        write[w][g * GROUP + j] = t1 - t0;
                        sync[w][g * GROUP + j] = System.nanoTime() - t1;
                    }
                }
            }
            System.out.printf("batch %d B, %d syncs per writer (interleaved groups of %d), %s, load %s%n", batchBytes,
                    groups * GROUP, GROUP, dir.getParent(), Files.readString(Path.of("/proc/loadavg")).trim());
            for (int w = 0; w < writers.length; w++) {
                long[] s = sync[w].clone();
                long[] x = write[w].clone();
                Arrays.sort(s);
                Arrays.sort(x);
                System.out.printf("%-20s sync us p10 %6.0f p50 %6.0f p90 %6.0f   write us p50 %7.1f%n", names[w],
                        s[s.length / 10] / 1e3, s[s.length / 2] / 1e3, s[s.length * 9 / 10] / 1e3, x[x.length / 2] / 1e3);
            }
        } finally {
            for (Writer w : writers) {
                w.close();
            }
            LogBench.deleteRecursively(dir);
        }
    }

    static void zeroFill(Path file, long bytes) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long n = 0; n < bytes; ) {
                zeros.clear();
                n += ch.write(zeros);
            }
            ch.force(true);
        }
    }

    private static final class Append implements Writer {
        private final FileChannel ch;

        Append(Path file) throws IOException {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public void batch(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                ch.write(src);
            }
            if (ch.position() > SEGMENT) {
                ch.truncate(0);
            }
        }

        @Override
        public void sync() throws IOException {
            ch.force(false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static final class Pwrite implements Writer {
        private final FileChannel ch;
        private final boolean twoPages;
        private final ByteBuffer word = ByteBuffer.allocateDirect(8);
        private long pos = 1 << 16;
        private long slot;

        Pwrite(Path file, boolean twoPages) throws IOException {
            zeroFill(file, SEGMENT + (1 << 20));
            this.ch = FileChannel.open(file, StandardOpenOption.WRITE);
            this.twoPages = twoPages;
        }

        @Override
        public void batch(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                pos += ch.write(src, pos);
            }
            if (twoPages) {
                word.clear();
                ch.write(word, 0);
                word.clear();
                ch.write(word, 8192 + (slot++ % 512) * 8);
            }
            if (pos > SEGMENT) {
                pos = 1 << 16;
            }
        }

        @Override
        public void sync() throws IOException {
            ch.force(false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static final class Mmap implements Writer {
        private final Path dir;
        private final String name;
        private final boolean prealloc;
        private final boolean twoPages;
        private FileChannel ch;
        private MappedByteBuffer map;
        private int generation;
        private long pos;
        private long slot;

        Mmap(Path dir, String name, boolean prealloc, boolean twoPages) throws IOException {
            this.dir = dir;
            this.name = name;
            this.prealloc = prealloc;
            this.twoPages = twoPages;
            roll();
        }

        private void roll() throws IOException {
            if (ch != null) {
                ch.close();
                Files.delete(dir.resolve(name + generation));
                generation++;
            }
            Path file = dir.resolve(name + generation);
            if (prealloc) {
                zeroFill(file, SEGMENT + (1 << 20));
            }
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            map = ch.map(FileChannel.MapMode.READ_WRITE, 0, MAPPING);
            pos = 1 << 16;
            slot = 0;
        }

        @Override
        public void batch(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (pos + n > SEGMENT) {
                roll();
            }
            map.put((int) pos, src, 0, n);
            pos += n;
            if (twoPages) {
                map.putLong(0, pos);
                map.putLong(8192 + (int) (slot++ % 512) * 8, pos);
            }
        }

        @Override
        public void sync() throws IOException {
            ch.force(false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
