package io.raftkv.bench.log;

import io.raftkv.core.message.LogEntry;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Random reads by index from a log of {@code entries} 100-byte entries spread over several segments. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {LogBench.OPENS_REFLECT, LogBench.EXPORTS_NIO, LogBench.EXPORTS_REF,
        LogBench.NO_ANALYTICS, LogBench.NO_ANNOUNCER})
@State(Scope.Thread)
public class LogReadBenchmark {

    @Param({"1000000"})
    int entries;

    private Path dir;
    private ChronicleLogStore log;
    private final SplittableRandom rnd = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = LogBench.newDir("bench-read");
        log = LogBench.open(dir);
        byte[] payload = LogBench.payload(100, 2);
        List<LogEntry> batch = new ArrayList<>(1024);
        for (long i = 1; i <= entries; i++) {
            batch.add(LogBench.entry(i, payload));
            if (batch.size() == 1024 || i == entries) {
                log.append(batch);
                batch.clear();
            }
        }
        log.sync();
    }

    @Benchmark
    public LogEntry randomEntry() {
        return log.entry(1 + rnd.nextLong(entries));
    }

    @Benchmark
    public long randomTerm() {
        return log.term(1 + rnd.nextLong(entries));
    }

    /** What a leader does to replicate: 64 consecutive entries from a random point. */
    @Benchmark
    public List<LogEntry> randomRangeOf64() {
        long from = 1 + rnd.nextLong(entries - 64);
        return log.entries(from, from + 64, Long.MAX_VALUE);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        log.close();
        LogBench.deleteRecursively(dir);
    }
}
