package io.raftkv.transport.netty;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.RaftNode;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.Ready;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Three {@link RaftNode}s of the core, each driven by its own thread, talking over {@link NettyTransport}s on
 * real loopback sockets (127.0.0.2-4): they elect a leader and replicate entries; after the leader is stopped
 * the other two elect a new one and keep committing.
 */
class LoopbackClusterTest {
    /**
     * Wall-clock length of one tick; the election timeout is 10-20 ticks (RaftOptions defaults), so 0.5-1 s:
     * long enough that a loaded 2-core CI machine does not cause spurious elections.
     */
    private static final long TICK_MILLIS = 50;

    @Test
    void threeNodesElectALeaderAndReplicateOverLoopbackSockets() throws Exception {
        List<Driver> drivers = new ArrayList<>();
        try {
            String[] ids = {"n1", "n2", "n3"};
            List<NettyTransport> transports = new ArrayList<>();
            List<BlockingQueue<RaftMessage>> inboxes = new ArrayList<>();
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                BlockingQueue<RaftMessage> inbox = new LinkedBlockingQueue<>();
                NettyTransport t = new NettyTransport(NettyTransportConfig.builder(ids[i], "loopback-cluster",
                        "127.0.0." + (i + 2) + ":0").backoff(Duration.ofMillis(20), Duration.ofMillis(500))
                        .ioThreads(1).build(), new SimpleMeterRegistry());
                t.start(inbox::offer); // offer never blocks: the event loop is never held up by the raft thread
                transports.add(t);
                inboxes.add(inbox);
                members.add(Member.voter(ids[i], "127.0.0." + (i + 2) + ":" + t.localAddress().getPort()));
            }
            Configuration configuration = Configuration.ofVoters(members);
            for (int i = 0; i < ids.length; i++) {
                transports.get(i).updatePeers(configuration.members());
                drivers.add(new Driver(ids[i], configuration, transports.get(i), inboxes.get(i), i + 1));
            }
            drivers.forEach(Driver::start);

            Driver leader = awaitSingleLeader(drivers);
            List<String> first = proposeAndAwait(drivers, drivers, "a", 20);
            assertSameCommittedLog(drivers);
            System.out.println("leader " + leader.id + " replicated " + first.size() + " commands to all three");

            // Stop the leader: the other two must elect a new one and keep committing.
            leader.close();
            List<Driver> survivors = new ArrayList<>(drivers);
            survivors.remove(leader);
            Driver next = awaitSingleLeader(survivors);
            assertNotEquals(leader.id, next.id);
            proposeAndAwait(survivors, survivors, "b", 10);
            assertSameCommittedLog(survivors);
        } finally {
            drivers.forEach(Driver::close);
        }
    }

    private static Driver awaitSingleLeader(List<Driver> drivers) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            List<Driver> leaders = new ArrayList<>();
            for (Driver d : drivers) {
                if (d.call(n -> n.role()) == Role.LEADER) {
                    leaders.add(d);
                }
            }
            if (leaders.size() == 1) {
                Driver leader = leaders.get(0);
                long term = leader.call(RaftNode::currentTerm);
                boolean allFollow = true;
                for (Driver d : drivers) {
                    allFollow &= leader.id.equals(d.call(RaftNode::leaderId)) && d.call(RaftNode::currentTerm) == term;
                }
                if (allFollow) {
                    return leader;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no single leader that everyone follows within 20 s");
    }

    /**
     * Proposes {@code count} commands at whoever leads and waits until every driver in {@code check} applied them.
     * A leader change on a loaded machine may lose uncommitted proposals (that is Raft), so commands not yet
     * applied everywhere are proposed again every few seconds; duplicates do not matter to the check.
     */
    private static List<String> proposeAndAwait(List<Driver> drivers, List<Driver> check, String prefix, int count)
            throws Exception {
        List<String> commands = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            commands.add(prefix + i);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long nextRetry = 0;
        while (true) {
            List<String> missing = new ArrayList<>();
            for (String c : commands) {
                if (!check.stream().allMatch(d -> d.appliedCommands().contains(c))) {
                    missing.add(c);
                }
            }
            if (missing.isEmpty()) {
                return commands;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not applied everywhere within 30 s: " + missing);
            }
            if (System.nanoTime() > nextRetry) {
                for (String c : missing) {
                    proposeAtLeader(drivers, c);
                }
                nextRetry = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            }
            Thread.sleep(20);
        }
    }

    private static void proposeAtLeader(List<Driver> drivers, String command) throws Exception {
        for (Driver d : drivers) {
            try {
                d.call(n -> n.propose(command.getBytes(StandardCharsets.UTF_8)));
                return;
            } catch (Exception notLeader) {
                // try the next node; if none leads right now, the caller retries later
            }
        }
    }

    private static void assertSameCommittedLog(List<Driver> drivers) {
        // Log Matching / State Machine Safety: every node applied the same entries at the same indexes.
        int n = drivers.stream().mapToInt(d -> d.applied.size()).min().orElse(0);
        for (Driver d : drivers) {
            assertEquals(drivers.get(0).applied.subList(0, n), d.applied.subList(0, n), d.id);
        }
    }

    /**
     * The tiny driver the brief asks for: one thread per node ticks every {@link #TICK_MILLIS}, steps inbound
     * messages, runs test calls, and processes each Ready in the order its javadoc prescribes.
     */
    private static final class Driver implements AutoCloseable {
        final String id;
        final RaftNode node;
        final NettyTransport transport;
        final BlockingQueue<RaftMessage> inbox;
        final BlockingQueue<Runnable> calls = new LinkedBlockingQueue<>();
        final InMemoryLogStore log = new InMemoryLogStore();
        final InMemoryStableStore stable = new InMemoryStableStore();
        final List<LogEntry> applied = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        Driver(String id, Configuration configuration, NettyTransport transport, BlockingQueue<RaftMessage> inbox,
               long seed) {
            this.id = id;
            this.node = new RaftNode(id, RaftOptions.defaults(), log, stable.load(), SnapshotMeta.NONE,
                    configuration, new Random(seed));
            this.transport = transport;
            this.inbox = inbox;
            this.thread = new Thread(this::loop, "raft-" + id);
        }

        void start() {
            thread.start();
        }

        <T> T call(Function<RaftNode, T> f) throws Exception {
            CompletableFuture<T> result = new CompletableFuture<>();
            calls.add(() -> {
                try {
                    result.complete(f.apply(node));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
            return result.get(5, TimeUnit.SECONDS);
        }

        List<String> appliedCommands() {
            List<String> out = new ArrayList<>();
            for (LogEntry e : applied) {
                if (e.type() == EntryType.COMMAND) {
                    out.add(new String(e.data(), StandardCharsets.UTF_8));
                }
            }
            return out;
        }

        private void loop() {
            long nextTick = System.nanoTime();
            while (running) {
                try {
                    long waitNanos = Math.max(0, nextTick - System.nanoTime());
                    RaftMessage m = inbox.poll(waitNanos, TimeUnit.NANOSECONDS);
                    while (m != null) {
                        node.step(m);
                        m = inbox.poll();
                    }
                    for (Runnable call = calls.poll(); call != null; call = calls.poll()) {
                        call.run();
                    }
                    if (System.nanoTime() >= nextTick) {
                        node.tick();
                        nextTick += TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
                    }
                    while (node.hasReady()) {
                        process(node.ready());
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void process(Ready rd) {
            transport.sendAll(rd.earlyMessages());
            if (rd.hardState() != null) {
                stable.save(rd.hardState());
            }
            if (!rd.entries().isEmpty()) {
                long first = rd.entries().get(0).index();
                if (first <= log.lastIndex()) {
                    log.truncateSuffix(first); // a conflicting suffix (§5.3)
                }
                log.append(rd.entries());
                log.sync();
            }
            transport.sendAll(rd.messages());
            applied.addAll(rd.committedEntries());
            node.advance(rd);
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            transport.close();
        }
    }
}
