package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of random, truncated and mutated frames (mutations of valid ones) against a live node, each on its
 * own connection, while a real peer keeps sending to the same node. The node must stay up, keep serving the
 * real peer throughout, and still accept new peers afterwards.
 *
 * <p>Seed and size: {@code -Dfuzz.seed=N -Dfuzz.connections=N}. The seed is printed, and on failure it is in
 * the message.
 */
class FuzzTest {

    @Test
    void garbageNeverTakesTheNodeDownAndARealPeerKeepsWorking() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.currentTimeMillis());
        int connections = Integer.getInteger("fuzz.connections", 3000);
        System.out.println("FuzzTest seed=" + seed + " connections=" + connections);
        SplittableRandom random = new SplittableRandom(seed);
        RandomMessages gen = new RandomMessages(seed);

        try (TestNode a = TestNode.start("a", "127.0.0.2", 0,
                cfg -> cfg.maxFrameBytes(1 << 20).handshakeTimeout(Duration.ofSeconds(2)));
             TestNode b = TestNode.start("b", "127.0.0.3")) {
            TestNode.mesh(a, b);
            byte[] handshake = bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT,
                    new Handshake(WireFormat.PROTOCOL_VERSION, TestNode.CLUSTER, "fuzz")));
            List<byte[]> valid = new ArrayList<>();
            for (int i = 0; i < 90; i++) {
                int kind = i % RandomMessages.TYPE_COUNT;
                // Mostly well-addressed messages, so that mutations reach deep into the payload decoders.
                RaftMessage m = i % 3 == 0 ? gen.message(kind) : gen.message(kind, "fuzz", "a");
                valid.add(bytes(MessageCodec.encode(ByteBufAllocator.DEFAULT, m)));
            }
            InetSocketAddress target = a.transport.localAddress();
            TreeMap<Integer, Integer> modes = new TreeMap<>();
            int checks = 0;
            for (int i = 0; i < connections; i++) {
                int mode = random.nextInt(7);
                modes.merge(mode, 1, Integer::sum);
                byte[] input = fuzzInput(mode, random, handshake, valid);
                try {
                    sendAndAwaitClose(target, input);
                } catch (IOException e) {
                    // The node may reset us mid-write; that is its right. It must not die.
                }
                if (i % 100 == 99) {
                    assertRealPeerStillServed(b, a, i, seed);
                    checks++;
                }
            }
            assertRealPeerStillServed(b, a, connections, seed);
            // And it still accepts a brand-new peer.
            try (TestNode c = TestNode.start("c", "127.0.0.4")) {
                c.transport.updatePeers(List.of(a.member(), c.member()));
                NettyTransportTest.awaitDelivery(c, a, Duration.ofSeconds(10));
            }
            double rejected = a.registry.find("raft.transport.connections.rejected").counters().stream()
                    .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
            System.out.println("FuzzTest modes=" + modes + " real-peer checks=" + checks + " rejected=" + rejected
                    + " by reason=" + a.registry.find("raft.transport.connections.rejected").counters().stream()
                    .map(c -> c.getId().getTag("reason") + ":" + (long) c.count()).toList());
            assertTrue(rejected > connections / 2.0, "seed=" + seed + ": most fuzz connections must be rejected, "
                    + "got " + rejected);
        }
    }

    private static byte[] fuzzInput(int mode, SplittableRandom random, byte[] handshake, List<byte[]> valid) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] frame = valid.get(random.nextInt(valid.size()));
        switch (mode) {
            case 0 -> out.writeBytes(randomBytes(random, 1 + random.nextInt(300))); // no handshake at all
            case 1 -> { // handshake, then noise
                out.writeBytes(handshake);
                out.writeBytes(randomBytes(random, 1 + random.nextInt(300)));
            }
            case 2 -> { // valid frames, then a truncated one
                out.writeBytes(handshake);
                for (int k = random.nextInt(3); k > 0; k--) {
                    out.writeBytes(valid.get(random.nextInt(valid.size())));
                }
                out.write(frame, 0, random.nextInt(frame.length));
            }
            case 3 -> { // byte flips anywhere in a valid frame
                out.writeBytes(handshake);
                out.writeBytes(flip(frame, random, 1 + random.nextInt(4), 0));
            }
            case 4 -> { // byte flips in the payload only: exercises the payload decoders
                out.writeBytes(handshake);
                out.writeBytes(flip(frame, random, 1 + random.nextInt(4), 6));
            }
            case 5 -> { // a lying length field: huge, tiny, or random
                out.writeBytes(handshake);
                byte[] lying = frame.clone();
                int length = switch (random.nextInt(3)) {
                    case 0 -> -1; // 4 GiB - 1 as u32
                    case 1 -> random.nextInt(0, 3);
                    default -> random.nextInt();
                };
                lying[0] = (byte) (length >>> 24);
                lying[1] = (byte) (length >>> 16);
                lying[2] = (byte) (length >>> 8);
                lying[3] = (byte) length;
                out.writeBytes(lying);
            }
            default -> { // a mutated handshake (other cluster, other version, garbage), then a valid frame
                out.writeBytes(flip(handshake, random, 1 + random.nextInt(3), 4));
                out.writeBytes(frame);
            }
        }
        return out.toByteArray();
    }

    private static byte[] flip(byte[] frame, SplittableRandom random, int flips, int from) {
        byte[] mutated = frame.clone();
        for (int k = 0; k < flips && mutated.length > from; k++) {
            mutated[from + random.nextInt(mutated.length - from)] = (byte) random.nextInt(256);
        }
        return mutated;
    }

    private static byte[] randomBytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Writes the input, half-closes, and waits (bounded) until the node has closed its side. */
    private static void sendAndAwaitClose(InetSocketAddress target, byte[] input) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(target, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(input);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] sink = new byte[512];
            while (in.read(sink) >= 0) {
                // the node's handshake answer, if any; then EOF when it closes the connection
            }
        }
    }

    private static void assertRealPeerStillServed(TestNode from, TestNode to, long marker, long seed)
            throws InterruptedException {
        from.transport.send(new ReadIndexRequest(from.id, to.id, 1, marker));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            RaftMessage m = to.poll(Duration.ofMillis(100));
            if (m instanceof ReadIndexRequest r && r.from().equals(from.id) && r.requestId() == marker) {
                return;
            }
        }
        throw new AssertionError("seed=" + seed + ": real peer " + from.id + " was not served after " + marker
                + " fuzz connections");
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        buf.release();
        return b;
    }
}
