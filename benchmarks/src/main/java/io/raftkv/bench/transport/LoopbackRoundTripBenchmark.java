package io.raftkv.bench.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.transport.netty.NettyTransport;
import io.raftkv.transport.netty.NettyTransportConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Round trips between two {@link NettyTransport}s over loopback TCP (127.0.0.2 and 127.0.0.3): node a sends an
 * AppendEntries with {@code entries} entries of 100 B, node b answers from its event loop with an
 * AppendEntriesResponse, and a's handler hands it back to the benchmark thread.
 * <ul>
 *   <li>{@code oneOutstanding}: one request in flight at a time (latency bound): ops/s = round trips/s.</li>
 *   <li>{@code window64}: 64 requests sent with one {@code sendAll} (one flush), then 64 answers awaited:
 *       ops/s = round trips/s with pipelining, as a leader replicating to a follower does.</li>
 * </ul>
 * The machine's cores are shared by the benchmark thread and both nodes' event loops.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class LoopbackRoundTripBenchmark {

    @Param({"0", "64"})
    public int entries;

    private NettyTransport a;
    private NettyTransport b;
    private final BlockingQueue<RaftMessage> answers = new ArrayBlockingQueue<>(1024);
    private AppendEntriesRequest request;
    private List<RaftMessage> window;

    @Setup(Level.Trial)
    public void start() throws Exception {
        a = new NettyTransport(config("a", "127.0.0.2"), new SimpleMeterRegistry());
        b = new NettyTransport(config("b", "127.0.0.3"), new SimpleMeterRegistry());
        a.start(answers::offer);
        b.start(m -> {
            AppendEntriesRequest r = (AppendEntriesRequest) m;
            b.send(AppendEntriesResponse.accept("b", "a", r.term(), r.lastIndex(), r.lastIndex(), r.seq()));
        });
        List<Member> members = List.of(member("a", a), member("b", b));
        a.updatePeers(members);
        b.updatePeers(members);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(a.isConnected("b") && b.isConnected("a"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("nodes did not connect");
            }
            Thread.sleep(10);
        }
        List<LogEntry> list = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            list.add(LogEntry.command(100 + i, 1, new byte[100]));
        }
        request = new AppendEntriesRequest("a", "b", 1, 99, 1, list, 99, 0);
        window = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            window.add(request);
        }
    }

    private static NettyTransportConfig config(String id, String host) {
        return NettyTransportConfig.builder(id, "bench", host + ":0").ioThreads(1)
                .writeBufferWaterMarks(8 << 20, 32 << 20).build();
    }

    private static Member member(String id, NettyTransport t) {
        InetSocketAddress addr = t.localAddress();
        return Member.voter(id, addr.getHostString() + ":" + addr.getPort());
    }

    @TearDown(Level.Trial)
    public void stop() {
        a.close();
        b.close();
    }

    @Benchmark
    public Object oneOutstanding() throws InterruptedException {
        a.send(request);
        return await();
    }

    @Benchmark
    @OperationsPerInvocation(64)
    public Object window64() throws InterruptedException {
        a.sendAll(window);
        Object last = null;
        for (int i = 0; i < 64; i++) {
            last = await();
        }
        return last;
    }

    private RaftMessage await() throws InterruptedException {
        RaftMessage m = answers.poll(5, TimeUnit.SECONDS);
        if (m == null) {
            throw new IllegalStateException("no answer within 5 s (message dropped?)");
        }
        return m;
    }
}
