package io.raftkv.bench.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.message.LogEntry;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Shared pieces of the log benchmarks. */
final class LogBench {
    // Annotation values must be constants: the Chronicle flags of BenchmarkSupport.CHRONICLE_FLAGS, one by one.
    static final String OPENS_REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";
    static final String EXPORTS_NIO = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";
    static final String EXPORTS_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
    static final String NO_ANALYTICS = "-Dchronicle.analytics.disable=true";
    static final String NO_ANNOUNCER = "-Dchronicle.announcer.disable=true";

    private LogBench() {
    }

    /** Where benchmark logs go: -Dbench.dir=... (default: the system temp dir); must be a real disk for fsync numbers. */
    static Path newDir(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        return Files.createTempDirectory(Files.createDirectories(base), prefix);
    }

    static ChronicleLogStore open(Path dir) throws IOException {
        return ChronicleLogStore.open(ChronicleLogOptions.builder(dir, new SimpleMeterRegistry()).build());
    }

    static byte[] payload(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static LogEntry entry(long index, byte[] payload) {
        return LogEntry.command(index, 1, payload);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
