package io.raftkv.transport.netty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/** A transport on a loopback address with a queue of what it received, for tests. */
final class TestNode implements AutoCloseable {
    static final String CLUSTER = "test-cluster";

    final String id;
    final NettyTransport transport;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final BlockingQueue<RaftMessage> received = new LinkedBlockingQueue<>();

    private TestNode(String id, NettyTransportConfig config) throws Exception {
        this.id = id;
        this.transport = new NettyTransport(config, registry);
        transport.start(received::add);
    }

    /** Starts node {@code id} listening on {@code host:port} with fast reconnects; {@code tweak} may change settings. */
    static TestNode start(String id, String host, int port, UnaryOperator<NettyTransportConfig.Builder> tweak)
            throws Exception {
        NettyTransportConfig.Builder b = NettyTransportConfig.builder(id, CLUSTER, host + ":" + port)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(300))
                .ioThreads(1);
        return new TestNode(id, tweak.apply(b).build());
    }

    static TestNode start(String id, String host) throws Exception {
        return start(id, host, 0, b -> b);
    }

    String address() {
        return transport.localAddress().getHostString() + ":" + transport.localAddress().getPort();
    }

    Member member() {
        return Member.voter(id, address());
    }

    /** Makes every node a peer of every other node and waits until all outbound connections are up. */
    static void mesh(TestNode... nodes) {
        List<Member> members = Arrays.stream(nodes).map(TestNode::member).toList();
        for (TestNode n : nodes) {
            n.transport.updatePeers(members);
        }
        for (TestNode n : nodes) {
            for (TestNode m : nodes) {
                if (n != m) {
                    awaitTrue(() -> n.transport.isConnected(m.id), Duration.ofSeconds(10),
                            n.id + " connected to " + m.id);
                }
            }
        }
    }

    RaftMessage poll(Duration timeout) throws InterruptedException {
        return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    RaftMessage take(String what) throws InterruptedException {
        RaftMessage m = poll(Duration.ofSeconds(10));
        assertNotNull(m, id + " did not receive " + what + " within 10 s");
        return m;
    }

    double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        transport.close();
    }
}
