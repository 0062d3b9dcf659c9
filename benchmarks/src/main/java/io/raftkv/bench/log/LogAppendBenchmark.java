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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Durable appends: one operation = one entry; every {@code syncEvery} entries the batch is appended and synced
 * (group commit). {@code raw} is the floor the disk allows: the same bytes with one {@code FileChannel.write} +
 * {@code force(false)} per batch. Score = entries per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {LogBench.OPENS_REFLECT, LogBench.EXPORTS_NIO, LogBench.EXPORTS_REF,
        LogBench.NO_ANALYTICS, LogBench.NO_ANNOUNCER})
@State(Scope.Thread)
public class LogAppendBenchmark {

    @Param({"100", "4096"})
    int entryBytes;

    @Param({"1", "64", "1024"})
    int syncEvery;

    @Param({"chronicle", "raw"})
    String impl;

    private static final long RAW_FILE_LIMIT = 256L << 20;
    private static final int KEEP_SEGMENTS = 3;

    private Path dir;
    private ChronicleLogStore log;
    private FileChannel raw;
    private ByteBuffer rawBatch;
    private byte[] payload;
    private List<LogEntry> batch;
    private long nextIndex = 1;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = LogBench.newDir("bench-append");
        payload = LogBench.payload(entryBytes, 1);
        batch = new ArrayList<>(syncEvery);
        if (impl.equals("chronicle")) {
            log = LogBench.open(dir);
        } else {
            raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            rawBatch = ByteBuffer.allocateDirect(syncEvery * (entryBytes + 8));
        }
    }

    @Benchmark
    public void appendEntry() throws IOException {
        if (log != null) {
            batch.add(LogBench.entry(nextIndex++, payload));
            if (batch.size() == syncEvery) {
                log.append(batch);
                log.sync();
                batch.clear();
                if (log.segmentCount() > KEEP_SEGMENTS) {
                    log.compactPrefix(log.lastIndex() - 1); // bound disk use, as snapshots would
                }
            }
        } else {
            rawBatch.putInt(payload.length).putInt(0).put(payload);
            if (!rawBatch.hasRemaining()) {
                rawBatch.flip();
                while (rawBatch.hasRemaining()) {
                    raw.write(rawBatch);
                }
                raw.force(false);
                rawBatch.clear();
                if (raw.position() > RAW_FILE_LIMIT) {
                    raw.truncate(0);
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (log != null) {
            log.close();
        }
        if (raw != null) {
            raw.close();
        }
        LogBench.deleteRecursively(dir);
    }
}
