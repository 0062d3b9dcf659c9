package io.raftkv.bench.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.message.LogEntry;
import io.raftkv.log.ChronicleLogOptions;
import io.raftkv.log.ChronicleLogStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Time to open (recover) a log of 1M 100-byte entries and close it again, with full verification or only the
 * last segment's. Each open starts a new segment, so iterations are few (single shot).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {LogBench.OPENS_REFLECT, LogBench.EXPORTS_NIO, LogBench.EXPORTS_REF,
        LogBench.NO_ANALYTICS, LogBench.NO_ANNOUNCER})
@State(Scope.Benchmark)
public class LogReopenBenchmark {

    @Param({"1000000"})
    int entries;

    @Param({"ALL_SEGMENTS", "LAST_SEGMENT"})
    ChronicleLogOptions.VerifyMode verify;

    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = LogBench.newDir("bench-reopen");
        try (ChronicleLogStore log = LogBench.open(dir)) {
            byte[] payload = LogBench.payload(100, 3);
            List<LogEntry> batch = new ArrayList<>(1024);
            for (long i = 1; i <= entries; i++) {
                batch.add(LogBench.entry(i, payload));
                if (batch.size() == 1024 || i == entries) {
                    log.append(batch);
                    log.sync();
                    batch.clear();
                }
            }
        }
    }

    @Benchmark
    public long reopen() throws IOException {
        try (ChronicleLogStore log = ChronicleLogStore.open(
                ChronicleLogOptions.builder(dir, new SimpleMeterRegistry()).verifyOnOpen(verify).build())) {
            return log.lastIndex();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        LogBench.deleteRecursively(dir);
    }
}
