package io.raftkv.log;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The process {@link SnapshotCrashTest} kills: writes snapshots of {@code args[2]} bytes into a
 * {@link FileSnapshotStore} in a loop, starting at index {@code args[1]}, printing {@code BEGIN i} before a snapshot,
 * {@code HALF i} once half its bytes are written, and {@code COMMITTED i} after {@link SnapshotStore.Sink#commit()}
 * returned (so a printed COMMITTED is durable). The bytes of snapshot {@code i} are a function of {@code i}
 * ({@link #fill}), so the parent can check them without keeping a copy. Stops by itself after {@code args[3]} ms.
 */
public final class SnapshotCrashChild {
    static final Configuration CONFIG = Configuration.ofVoterIds("n1", "n2", "n3");
    static final int BLOCK = 64 << 10;

    private SnapshotCrashChild() {
    }

    /** Block {@code block} of snapshot {@code index}: pseudo-random, reproducible. */
    static void fill(long index, long block, byte[] into) {
        new SplittableRandom(index * 1_000_003L + block).nextBytes(into);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long index = Long.parseLong(args[1]);
        long size = Long.parseLong(args[2]);
        long deadline = System.currentTimeMillis() + Long.parseLong(args[3]);
        PrintStream out = System.out;
        try {
            FileSnapshotStore store = new FileSnapshotStore(dir, 2);
            out.println("OPEN " + store.latest().map(SnapshotMeta::lastIncludedIndex).orElse(0L));
            out.flush();
            byte[] block = new byte[BLOCK];
            for (; System.currentTimeMillis() < deadline; index++) {
                out.println("BEGIN " + index);
                out.flush();
                try (SnapshotStore.Sink sink = store.begin(new SnapshotMeta(index, 1, CONFIG))) {
                    OutputStream data = sink.stream();
                    long blocks = size / BLOCK;
                    for (long b = 0; b < blocks; b++) {
                        fill(index, b, block);
                        data.write(block);
                        if (b == blocks / 2) {
                            out.println("HALF " + index);
                            out.flush();
                        }
                    }
                    sink.commit();
                }
                out.println("COMMITTED " + index);
                out.flush();
            }
        } catch (Throwable t) {
            System.err.println("CHILD FAILED: " + t);
            t.printStackTrace();
            System.exit(2);
        }
    }
}
