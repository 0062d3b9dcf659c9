package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.TimeoutNow;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NettyTransportTest {

    @Test
    void aNodeThatDoesNotKnowTheSenderAnswersOverTheInboundConnection() throws Exception {
        // A server joining with an empty configuration knows nobody; the leader that adds it must still hear back.
        try (TestNode leader = TestNode.start("n1", "127.0.0.1"); TestNode joiner = TestNode.start("n4", "127.0.0.1")) {
            leader.transport.updatePeers(List.of(joiner.member()));
            TestNode.awaitTrue(() -> leader.transport.isConnected("n4"), Duration.ofSeconds(10), "n1 dialled n4");
            leader.transport.send(new TimeoutNow("n1", "n4", 3));
            assertInstanceOf(TimeoutNow.class, joiner.take("the leader's message"));
            joiner.transport.send(new TimeoutNow("n4", "n1", 3)); // n1 is not among n4's peers
            RaftMessage back = leader.take("the answer over n1's own outbound connection");
            assertEquals("n4", back.from());
            // A node that never connected to us still cannot be reached: dropped and counted, not queued.
            joiner.transport.send(new TimeoutNow("n4", "n9", 3));
            assertEquals(1, joiner.counter("raft.transport.messages.dropped", "reason", "unknown_peer"));
        }
    }

    @Test
    void everyMessageTypeFlowsBetweenTwoNodes() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2"); TestNode b = TestNode.start("b", "127.0.0.3")) {
            TestNode.mesh(a, b);
            RandomMessages gen = new RandomMessages(99);
            for (int kind = 0; kind < RandomMessages.TYPE_COUNT; kind++) {
                RaftMessage m = gen.message(kind, "a", "b");
                a.transport.send(m);
                RandomMessages.assertSameMessage(m, b.take("kind " + kind), "kind " + kind);
                RaftMessage back = gen.message(kind, "b", "a");
                b.transport.send(back);
                RandomMessages.assertSameMessage(back, a.take("kind " + kind), "kind " + kind);
            }
            assertEquals(RandomMessages.TYPE_COUNT, a.counter("raft.transport.messages.sent", "peer", "b"));
            assertEquals(RandomMessages.TYPE_COUNT, b.counter("raft.transport.messages.received", "peer", "a"));
        }
    }

    @Test
    void sendAllDeliversABatchInOrder() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2"); TestNode b = TestNode.start("b", "127.0.0.3");
             TestNode c = TestNode.start("c", "127.0.0.4")) {
            TestNode.mesh(a, b, c);
            List<RaftMessage> batch = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                batch.add(new ReadIndexRequest("a", i % 2 == 0 ? "b" : "c", 1, i));
            }
            a.transport.sendAll(batch);
            for (int i = 0; i < 500; i += 2) {
                assertEquals(i, ((ReadIndexRequest) b.take("request " + i)).requestId());
                assertEquals(i + 1, ((ReadIndexRequest) c.take("request " + (i + 1))).requestId());
            }
        }
    }

    @Test
    void sendAllFlushesTheSocketOncePerBatch() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2"); TestNode b = TestNode.start("b", "127.0.0.3")) {
            TestNode.mesh(a, b);
            java.util.concurrent.atomic.AtomicInteger socketFlushes = new java.util.concurrent.atomic.AtomicInteger();
            // Nearest to the socket: counts the flushes that survive consolidation.
            a.transport.activeChannel("b").pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
                @Override
                public void flush(io.netty.channel.ChannelHandlerContext ctx) {
                    socketFlushes.incrementAndGet();
                    ctx.flush();
                }
            });
            List<RaftMessage> batch = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                batch.add(new ReadIndexRequest("a", "b", 1, i));
            }
            a.transport.sendAll(batch);
            for (int i = 0; i < 200; i++) {
                b.take("request " + i);
            }
            assertEquals(1, socketFlushes.get(), "one flush for a batch of 200");

            // Single sends in a tight loop are consolidated too: far fewer flushes than messages.
            socketFlushes.set(0);
            for (int i = 0; i < 2000; i++) {
                a.transport.send(new ReadIndexRequest("a", "b", 1, i));
            }
            for (int i = 0; i < 2000; i++) {
                b.take("single " + i);
            }
            System.out.println("2000 single sends took " + socketFlushes.get() + " socket flushes");
            assertTrue(socketFlushes.get() < 1000, socketFlushes.get() + " flushes for 2000 sends");
        }
    }

    @Test
    void outboundSocketsBindToTheNodesOwnHost() throws Exception {
        try (ServerSocket fakePeer = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.5"));
             TestNode a = TestNode.start("a", "127.0.0.4");
             TestNode b = TestNode.start("b", "127.0.0.4", 0, cfg -> cfg.localBindHost("127.0.0.6"))) {
            fakePeer.setSoTimeout(10_000);
            String peerAddress = "127.0.0.5:" + fakePeer.getLocalPort();
            a.transport.updatePeers(List.of(Member.voter("p", peerAddress)));
            try (Socket s = fakePeer.accept()) {
                assertEquals("127.0.0.4", s.getInetAddress().getHostAddress(), "default: the listen host");
                Handshake h = readHandshake(s.getInputStream());
                assertEquals(new Handshake(WireFormat.PROTOCOL_VERSION, TestNode.CLUSTER, "a"), h);
            }
            b.transport.updatePeers(List.of(Member.voter("p", peerAddress)));
            try (Socket s = fakePeer.accept()) {
                assertEquals("127.0.0.6", s.getInetAddress().getHostAddress(), "configured localBindHost");
            }
        }
    }

    @Test
    void aNodeOfAnotherClusterIsRejected() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2");
             TestNode x = TestNode.start("x", "127.0.0.3", 0,
                     cfg -> NettyTransportConfig.builder("x", "other-cluster", "127.0.0.3:0")
                             .backoff(Duration.ofMillis(20), Duration.ofMillis(100)))) {
            x.transport.updatePeers(List.of(a.member()));
            TestNode.awaitTrue(() -> a.counter("raft.transport.connections.rejected", "reason", "handshake") >= 2,
                    Duration.ofSeconds(10), "a rejects x's handshakes");
            assertFalse(x.transport.isConnected("a"));
            x.transport.send(new TimeoutNow("x", "a", 1));
            assertEquals(1, x.counter("raft.transport.messages.dropped", "peer", "a", "reason", "not_connected"));
            assertNull(a.poll(Duration.ofMillis(200)));
        }
    }

    @Test
    void aDifferentNodeAtThePeersAddressIsRejected() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2"); TestNode c = TestNode.start("c", "127.0.0.3")) {
            a.transport.updatePeers(List.of(Member.voter("b", c.address())));
            TestNode.awaitTrue(() -> a.counter("raft.transport.connections.rejected", "reason", "handshake") >= 1,
                    Duration.ofSeconds(10), "a notices that c answers at b's address");
            assertFalse(a.transport.isConnected("b"));
        }
    }

    @Test
    void aSlowPeerMakesTheSenderDropInsteadOfQueueing() throws Exception {
        try (ServerSocket slowPeer = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.5"));
             TestNode a = TestNode.start("a", "127.0.0.4", 0, cfg -> cfg.writeBufferWaterMarks(16 << 10, 64 << 10))) {
            slowPeer.setSoTimeout(10_000);
            a.transport.updatePeers(List.of(Member.voter("slow", "127.0.0.5:" + slowPeer.getLocalPort())));
            try (Socket s = slowPeer.accept()) {
                s.setReceiveBufferSize(64 << 10);
                readHandshake(s.getInputStream());
                writeFrame(s.getOutputStream(), MessageCodec.encode(ByteBufAllocator.DEFAULT,
                        new Handshake(WireFormat.PROTOCOL_VERSION, TestNode.CLUSTER, "slow")));
                TestNode.awaitTrue(() -> a.transport.isConnected("slow"), Duration.ofSeconds(10), "connected");
                // The peer never reads again. 4000 x 16 KiB = 64 MiB: far more than socket buffers hold.
                byte[] data = new byte[16 << 10];
                long start = System.nanoTime();
                for (int i = 0; i < 4000; i++) {
                    a.transport.send(new AppendEntriesRequest("a", "slow", 1, i, 1,
                            List.of(LogEntry.command(i + 1, 1, data)), 0, i));
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                double dropped = a.counter("raft.transport.messages.dropped", "peer", "slow", "reason", "backpressure");
                double sent = a.counter("raft.transport.messages.sent", "peer", "slow");
                assertTrue(dropped > 2000, "dropped " + dropped + ", sent " + sent);
                assertEquals(4000, dropped + sent);
                assertTrue(millis < 30_000, "send must not block; took " + millis + " ms");
            }
        }
    }

    @Test
    void aMessageOverTheFrameLimitIsNotSentAndTheConnectionStaysUp() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2", 0, cfg -> cfg.maxFrameBytes(64 << 10));
             TestNode b = TestNode.start("b", "127.0.0.3", 0, cfg -> cfg.maxFrameBytes(64 << 10))) {
            TestNode.mesh(a, b);
            a.transport.send(new AppendEntriesRequest("a", "b", 1, 0, 0,
                    List.of(LogEntry.command(1, 1, new byte[100 << 10])), 0, 1));
            assertEquals(1, a.counter("raft.transport.messages.dropped", "peer", "b", "reason", "too_large"));
            a.transport.send(new TimeoutNow("a", "b", 2));
            assertInstanceOf(TimeoutNow.class, b.take("the next small message"));
        }
    }

    @Test
    void anInboundFrameOverTheLimitClosesOnlyThatConnection() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2", 0, cfg -> cfg.maxFrameBytes(64 << 10));
             TestNode b = TestNode.start("b", "127.0.0.3")) {
            TestNode.mesh(a, b);
            // b allows large frames, a does not: a must drop the connection, not the node.
            b.transport.send(new AppendEntriesRequest("b", "a", 1, 0, 0,
                    List.of(LogEntry.command(1, 1, new byte[100 << 10])), 0, 1));
            TestNode.awaitTrue(() -> a.counter("raft.transport.connections.rejected", "reason", "too_large") == 1,
                    Duration.ofSeconds(10), "a rejects the frame");
            // b reconnects by itself and small messages flow again.
            awaitDelivery(b, a, Duration.ofSeconds(10));
        }
    }

    @Test
    void aRestartedPeerIsReachedAgain() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2")) {
            TestNode b = TestNode.start("b", "127.0.0.3");
            int port = b.transport.localAddress().getPort();
            TestNode.mesh(a, b);
            a.transport.send(new TimeoutNow("a", "b", 1));
            b.take("before the restart");
            b.close();
            TestNode.awaitTrue(() -> !a.transport.isConnected("b"), Duration.ofSeconds(10), "a sees b gone");
            a.transport.send(new TimeoutNow("a", "b", 2));
            assertTrue(a.counter("raft.transport.messages.dropped", "peer", "b", "reason", "not_connected") >= 1);
            Thread.sleep(500); // let a's backoff grow past its first steps
            try (TestNode b2 = TestNode.start("b", "127.0.0.3", port, cfg -> cfg)) {
                long start = System.nanoTime();
                awaitDelivery(a, b2, Duration.ofSeconds(10));
                System.out.printf("restarted peer reached again after %d ms%n", (System.nanoTime() - start) / 1_000_000);
            }
        }
    }

    @Test
    void updatePeersConnectsNewPeersAndClosesRemovedOnes() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2"); TestNode b = TestNode.start("b", "127.0.0.3");
             TestNode c = TestNode.start("c", "127.0.0.4")) {
            a.transport.updatePeers(List.of(a.member(), b.member()));
            awaitDelivery(a, b, Duration.ofSeconds(10));
            a.transport.updatePeers(List.of(a.member(), b.member(), c.member()));
            awaitDelivery(a, c, Duration.ofSeconds(10));
            a.transport.updatePeers(List.of(a.member(), c.member()));
            assertFalse(a.transport.isConnected("b"));
            a.transport.send(new TimeoutNow("a", "b", 1));
            assertEquals(1, a.counter("raft.transport.messages.dropped", "peer", "unknown", "reason", "unknown_peer"));
            assertNull(b.poll(Duration.ofMillis(200)));
            awaitDelivery(a, c, Duration.ofSeconds(10));
        }
    }

    @Test
    void peersGivenBeforeStartAreDialledOnStart() throws Exception {
        try (TestNode b = TestNode.start("b", "127.0.0.3")) {
            java.util.concurrent.BlockingQueue<RaftMessage> got = new java.util.concurrent.LinkedBlockingQueue<>();
            NettyTransport a = new NettyTransport(NettyTransportConfig.builder("a", TestNode.CLUSTER, "127.0.0.2:0")
                    .build(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            try {
                a.updatePeers(List.of(b.member()));
                a.start(got::add);
                TestNode.awaitTrue(() -> a.isConnected("b"), Duration.ofSeconds(10), "a dials b once started");
            } finally {
                a.close();
            }
            a.updatePeers(List.of(b.member())); // after close: ignored, no exception
            a.send(new TimeoutNow("a", "b", 1));  // after close: dropped, no exception
        }
    }

    @Test
    void aHandlerThatThrowsDoesNotCostTheConnection() throws Exception {
        try (TestNode a = TestNode.start("a", "127.0.0.2")) {
            List<RaftMessage> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            NettyTransport b = new NettyTransport(NettyTransportConfig.builder("b", TestNode.CLUSTER, "127.0.0.3:0")
                    .build(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            try {
                b.start(m -> {
                    got.add(m);
                    throw new IllegalStateException("handler bug");
                });
                String bAddr = "127.0.0.3:" + b.localAddress().getPort();
                a.transport.updatePeers(List.of(Member.voter("b", bAddr)));
                TestNode.awaitTrue(() -> a.transport.isConnected("b"), Duration.ofSeconds(10), "connected");
                for (int i = 0; i < 3; i++) {
                    a.transport.send(new TimeoutNow("a", "b", i));
                }
                TestNode.awaitTrue(() -> got.size() == 3, Duration.ofSeconds(10), "all three delivered");
                assertTrue(a.transport.isConnected("b"));
            } finally {
                b.close();
            }
        }
    }

    /** Sends from {@code from} to {@code to} until one arrives (reconnects may drop the first ones). */
    static void awaitDelivery(TestNode from, TestNode to, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long marker = System.nanoTime();
        while (System.nanoTime() < deadline) {
            from.transport.send(new ReadIndexRequest(from.id, to.id, 1, marker));
            RaftMessage m = to.poll(Duration.ofMillis(50));
            while (m != null) {
                if (m instanceof ReadIndexRequest r && r.requestId() == marker) {
                    to.received.clear();
                    return;
                }
                m = to.poll(Duration.ofMillis(1));
            }
        }
        throw new AssertionError(from.id + " could not reach " + to.id + " within " + timeout);
    }

    static Handshake readHandshake(InputStream in) throws Exception {
        DataInputStream data = new DataInputStream(in);
        int length = data.readInt();
        byte[] rest = new byte[length];
        data.readFully(rest);
        assertEquals(WireFormat.PROTOCOL_VERSION, rest[0]);
        assertEquals(WireFormat.HANDSHAKE, rest[1]);
        return (Handshake) MessageCodec.decode(rest[1], io.netty.buffer.Unpooled.wrappedBuffer(rest, 2, length - 2));
    }

    static void writeFrame(OutputStream out, ByteBuf frame) throws Exception {
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        frame.release();
        out.write(bytes);
        out.flush();
    }

    static InetSocketAddress address(String hostPort) {
        HostPort hp = HostPort.parse(hostPort);
        return new InetSocketAddress(hp.host(), hp.port());
    }
}
