package io.raftkv.bench.kv;

import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvSnapshot;
import io.raftkv.kv.KvStateMachine;
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
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The KV state machine on a large map (default 1,000,000 keys, 100-byte values):
 * <ul>
 *   <li>{@code applyPut}: decode + limit check + persistent-map put + result encode of an overwrite of a random
 *       existing key, the apply thread's cost per command;</li>
 *   <li>{@code snapshotCapture}: what {@code snapshot()} costs the apply thread (a reference, O(1));</li>
 *   <li>{@code snapshotWrite}: streaming the whole snapshot (SnapshotFormat + CRC32C) to a byte-counting sink;
 *       MB/s = the size printed at setup / the time per op;</li>
 *   <li>{@code snapshotRestore}: reading it back into a fresh state machine.</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar KvStateMachineBenchmark}.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class KvStateMachineBenchmark {

    @Param("1000000")
    public int keys;

    @Param("100")
    public int valueBytes;

    private static final int COMMANDS = 1 << 16;

    private KvStateMachine sm;
    private byte[][] putCommands;
    private long index;
    private int next;
    private byte[] snapshotBytes;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        sm = new KvStateMachine();
        for (int i = 0; i < keys; i++) {
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            sm.apply(++index, KvCodec.encodeCommand(new KvCommand.Put(key(i), value)));
        }
        putCommands = new byte[COMMANDS][];
        for (int i = 0; i < COMMANDS; i++) {
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            putCommands[i] = KvCodec.encodeCommand(new KvCommand.Put(key(random.nextInt(keys)), value));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (KvSnapshot s = sm.snapshot()) {
            s.writeTo(out);
        }
        snapshotBytes = out.toByteArray();
        System.out.printf("%nsnapshot of %,d keys x %d-byte values: %,d bytes (%.1f MB)%n",
                keys, valueBytes, snapshotBytes.length, snapshotBytes.length / 1e6);
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] applyPut() {
        byte[] command = putCommands[next];
        next = (next + 1) & (COMMANDS - 1);
        return sm.apply(++index, command);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public KvSnapshot snapshotCapture() {
        return sm.snapshot();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long snapshotWrite() throws IOException {
        CountingSink sink = new CountingSink();
        try (KvSnapshot s = sm.snapshot()) {
            s.writeTo(sink);
        }
        return sink.bytes;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long snapshotRestore() throws IOException {
        KvStateMachine fresh = new KvStateMachine();
        fresh.restore(keys, new ByteArrayInputStream(snapshotBytes));
        return fresh.lastAppliedIndex();
    }

    /** Counts bytes and drops them, so the benchmark measures the encoder, not a disk. */
    private static final class CountingSink extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }
}
