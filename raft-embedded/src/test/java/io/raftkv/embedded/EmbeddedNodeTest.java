package io.raftkv.embedded;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.core.statemachine.AbstractStateMachine;
import io.raftkv.core.statemachine.SnapshotInput;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.transport.netty.NettyTransport;
import io.raftkv.transport.netty.NettyTransportConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one-call node: a real 3-member cluster on loopback, its client across a leader's death, and bad settings. */
class EmbeddedNodeTest {
    @TempDir
    Path tmp;

    /** Adds each command's 8-byte amount to a total; any query reads the total. */
    static final class Counter extends AbstractStateMachine {
        private volatile long total;

        Counter() {
            super("CNTR", 1);
        }

        @Override
        protected byte[] applyCommand(long index, byte[] command) {
            total += ByteBuffer.wrap(command).getLong();
            return encode(total);
        }

        @Override
        public byte[] query(byte[] request) {
            return encode(total);
        }

        @Override
        protected StateWriter captureState() {
            long t = total;
            return out -> out.writeLong(t);
        }

        @Override
        protected Runnable readState(SnapshotInput in) throws IOException {
            long t = in.readLong("total");
            return () -> total = t;
        }

        static byte[] encode(long v) {
            return ByteBuffer.allocate(8).putLong(v).array();
        }

        static long decode(byte[] b) {
            return ByteBuffer.wrap(b).getLong();
        }
    }

    @Test
    void threeMembersReplicateAndTheClientFollowsANewLeader() throws Exception {
        try (RaftTestCluster cluster = RaftTestCluster.start(3, tmp, Counter::new);
             RaftClient client = cluster.client()) {
            for (int i = 1; i <= 20; i++) {
                assertEquals(i, Counter.decode(client.propose(Counter.encode(1)).get(10, TimeUnit.SECONDS)));
            }
            String leader = cluster.awaitLeader(Duration.ofSeconds(10));
            cluster.stopNode(leader);
            // The client still names the stopped member; it must skip it and find the new leader.
            assertEquals(21, Counter.decode(client.propose(Counter.encode(1)).get(20, TimeUnit.SECONDS)));
            assertEquals(21, Counter.decode(client.read(new byte[0]).get(10, TimeUnit.SECONDS)));

            // The stopped member resumes from its directory and catches up.
            cluster.startNode(leader);
            EmbeddedNode back = cluster.node(leader);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Counter.decode(back.read(new byte[0], ReadLevel.STALE).get(10, TimeUnit.SECONDS)) != 21) {
                assertTrue(System.nanoTime() < deadline, leader + " did not catch up after its restart");
                Thread.sleep(20);
            }
        }
    }

    @Test
    void aSessionCommandResentWithItsNumberIsAppliedOnce() throws Exception {
        try (RaftTestCluster cluster = RaftTestCluster.start(3, tmp,
                () -> new SessionStateMachine(new Counter(), SessionOptions.defaults()));
             RaftClient client = cluster.client()) {
            RaftClient.Session session = client.openSession(Duration.ofMinutes(5));
            assertEquals(5, Counter.decode(session.propose(Counter.encode(5)).get(10, TimeUnit.SECONDS)));
            // The resend of number 1 (as after a lost answer) gets the first apply's answer and adds nothing.
            assertEquals(5, Counter.decode(session.propose(1, Counter.encode(5)).get(10, TimeUnit.SECONDS)));
            assertEquals(5, Counter.decode(client.read(new byte[0]).get(10, TimeUnit.SECONDS)));
            assertEquals(7, Counter.decode(session.propose(Counter.encode(2)).get(10, TimeUnit.SECONDS)));
        }
        try (RaftTestCluster plain = RaftTestCluster.start(1, tmp.resolve("plain"), Counter::new);
             RaftClient client = plain.client()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> client.openSession(Duration.ofMinutes(5)));
            assertTrue(e.getMessage().contains("keeps no client sessions"), e.getMessage());
        }
    }

    @Test
    void anEmptyOrMalformedMemberAddressIsRefusedAtStart() {
        for (String bad : new String[]{"", "127.0.0.1", "127.0.0.1:", ":7001", "127.0.0.1:70000", "127.0.0.1:0",
                "127.0.0.1:x"}) {
            EmbeddedNode.Builder b = EmbeddedNode.builder("n1").dataDirectory(tmp.resolve("bad"))
                    .stateMachine(new Counter())
                    .member("n1", "127.0.0.1:7001")
                    .member("n2", bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::start, "'" + bad + "'");
            assertTrue(e.getMessage().contains("n2"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("bad")), "nothing is opened for settings that cannot work");
    }

    @Test
    void aNodeNotAmongItsMembersOrWithoutStateMachineIsRefused() {
        IllegalArgumentException notMember = assertThrows(IllegalArgumentException.class,
                () -> EmbeddedNode.builder("n9").dataDirectory(tmp).stateMachine(new Counter())
                        .members("n1=127.0.0.1:7001,n2=127.0.0.1:7002").start());
        assertTrue(notMember.getMessage().contains("n9 is not among the members"), notMember.getMessage());
        IllegalArgumentException noSm = assertThrows(IllegalArgumentException.class,
                () -> EmbeddedNode.builder("n1").dataDirectory(tmp).members("n1=127.0.0.1:7001").start());
        assertTrue(noSm.getMessage().contains("stateMachine is required"), noSm.getMessage());
    }

    @Test
    void raftServerWithTheNettyTransportRefusesMembersWithoutAddresses() {
        NettyTransport transport = new NettyTransport(
                NettyTransportConfig.builder("n1", "raftkv", "127.0.0.1:0").build(), new SimpleMeterRegistry());
        try {
            RaftServer.Builder b = RaftServer.builder("n1")
                    .logStore(new InMemoryLogStore()).stableStore(new InMemoryStableStore())
                    .snapshotStore(new InMemorySnapshotStore()).stateMachine(new Counter())
                    .transport(transport)
                    .bootstrap(Configuration.ofVoterIds("n1", "n2", "n3"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
            assertTrue(e.getMessage().contains("cannot be reached by the Netty transport")
                    && e.getMessage().contains("ofVoterIds"), e.getMessage());
        } finally {
            transport.close();
        }
    }
}
