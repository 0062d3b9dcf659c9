package io.raftkv.bench.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.LogEntry;
import io.raftkv.transport.netty.MessageCodec;
import io.raftkv.transport.netty.WireFormat;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Encode + decode of one AppendEntries frame with {@code entries} entries of {@code entryBytes} each, through the
 * same code the transport runs (pooled direct buffer out, slice-based decode in). One op = one message encoded
 * and decoded; multiply by entries x entryBytes for payload bandwidth.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar CodecBenchmark -f 1 -wi 2 -i 3 -r 2s</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class CodecBenchmark {

    @Param({"1", "64"})
    public int entries;

    @Param({"100", "4096"})
    public int entryBytes;

    private AppendEntriesRequest message;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        List<LogEntry> list = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            byte[] data = new byte[entryBytes];
            random.nextBytes(data);
            list.add(LogEntry.command(1_000_000 + i, 7, data));
        }
        message = new AppendEntriesRequest("node-1", "node-2", 7, 999_999, 7, list, 999_990, 12345);
    }

    @Benchmark
    public Object encodeDecode() {
        ByteBuf frame = MessageCodec.encode(alloc, message);
        try {
            frame.skipBytes(WireFormat.LENGTH_FIELD_BYTES + 1);
            byte type = frame.readByte();
            return MessageCodec.decode(type, frame.slice());
        } finally {
            frame.release();
        }
    }

    @Benchmark
    public int encodeOnly() {
        ByteBuf frame = MessageCodec.encode(alloc, message);
        int size = frame.readableBytes();
        frame.release();
        return size;
    }
}
