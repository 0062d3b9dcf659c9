package io.raftkv.embedded;

import io.raftkv.core.server.ReadLevel;
import io.raftkv.core.statemachine.StateMachine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A cluster of {@link EmbeddedNode}s in one JVM, for tests: each on its own loopback port with its own data
 * directory under {@code root}, running a fresh state machine from the factory. Nodes can be stopped and restarted
 * (with their directories, so they resume), which is how a test kills a leader. Published in raft-embedded's
 * test-jar ({@code <type>test-jar</type>}) so that plugin authors can use it.
 *
 * <pre>{@code
 * try (RaftTestCluster cluster = RaftTestCluster.start(3, tmp, Ledger::new);
 *      RaftClient client = cluster.client()) {
 *     client.propose(command).get(10, SECONDS);
 * }
 * }</pre>
 */
public final class RaftTestCluster implements AutoCloseable {

    private final Path root;
    private final Supplier<? extends StateMachine> stateMachines;
    private final Map<String, String> members;
    private final Map<String, EmbeddedNode> running = new LinkedHashMap<>();
    private final Map<String, StateMachine> machines = new LinkedHashMap<>();

    private RaftTestCluster(Path root, Map<String, String> members, Supplier<? extends StateMachine> stateMachines) {
        this.root = root;
        this.members = members;
        this.stateMachines = stateMachines;
    }

    /** Starts {@code size} members {@code n1..nN} and waits (up to 10 s) until every one knows the leader. */
    public static RaftTestCluster start(int size, Path root, Supplier<? extends StateMachine> stateMachines)
            throws IOException, InterruptedException, TimeoutException {
        Map<String, String> members = new LinkedHashMap<>();
        for (int i = 1; i <= size; i++) {
            members.put("n" + i, "127.0.0.1:" + TestPorts.free());
        }
        RaftTestCluster cluster = new RaftTestCluster(root, members, stateMachines);
        try {
            for (String id : members.keySet()) {
                cluster.startNode(id);
            }
            cluster.awaitLeader(Duration.ofSeconds(10));
        } catch (IOException | InterruptedException | TimeoutException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Starts (or restarts, from its data directory) member {@code id} with a fresh state machine. */
    public synchronized EmbeddedNode startNode(String id) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException(id + " is running");
        }
        StateMachine sm = stateMachines.get();
        EmbeddedNode node = EmbeddedNode.builder(id)
                .dataDirectory(root.resolve(id))
                .members(members)
                .stateMachine(sm)
                .start();
        running.put(id, node);
        machines.put(id, sm);
        return node;
    }

    /** Stops member {@code id} (gracefully: its data stays for a restart). */
    public synchronized void stopNode(String id) {
        EmbeddedNode node = running.remove(id);
        if (node == null) {
            throw new IllegalStateException(id + " is not running");
        }
        node.close();
    }

    /** Waits until every running member knows a leader, and returns the id the first one names. */
    public String awaitLeader(Duration timeout) throws InterruptedException, TimeoutException {
        String leader = null;
        for (EmbeddedNode n : nodes()) {
            String l = n.awaitLeader(timeout);
            leader = leader == null ? l : leader;
        }
        if (leader == null) {
            throw new IllegalStateException("no member is running");
        }
        return leader;
    }

    /**
     * Waits until every running member answers {@code query} from its own state ({@link ReadLevel#STALE}) with the
     * same bytes, e.g. a digest query once writes stopped, and returns that answer: how a test sees that all servers
     * converged (a member that was stopped catches up from the log or a snapshot first).
     *
     * @throws TimeoutException with each member's last answer if they still differ after {@code timeout}
     */
    public byte[] awaitSameAnswer(byte[] query, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, String> answers = new TreeMap<>();
            byte[] first = null;
            boolean same = true;
            for (EmbeddedNode n : nodes()) {
                byte[] a;
                try {
                    a = n.raft().read(query, ReadLevel.STALE).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    a = null; // a member still starting or restoring: ask again
                }
                answers.put(n.id(), a == null ? "(no answer)" : new String(a, StandardCharsets.UTF_8));
                same &= a != null && (first == null || Arrays.equals(first, a));
                first = first == null ? a : first;
            }
            if (same && first != null) {
                return first;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("members still answer differently after " + timeout + ": " + answers);
            }
            Thread.sleep(20);
        }
    }

    /** {@link #awaitSameAnswer(byte[], Duration)} for a text query and answer (UTF-8). */
    public String awaitSameAnswer(String query, Duration timeout) throws InterruptedException, TimeoutException {
        return new String(awaitSameAnswer(query.getBytes(StandardCharsets.UTF_8), timeout), StandardCharsets.UTF_8);
    }

    /** A client of the running members that follows the leader (members started later are not added). */
    public RaftClient client() {
        return RaftClient.of(nodes());
    }

    public synchronized List<EmbeddedNode> nodes() {
        return new ArrayList<>(running.values());
    }

    public synchronized EmbeddedNode node(String id) {
        EmbeddedNode n = running.get(id);
        if (n == null) {
            throw new IllegalStateException(id + " is not running");
        }
        return n;
    }

    /** The state machine member {@code id} was last started with (to compare states across members). */
    public synchronized StateMachine stateMachine(String id) {
        return machines.get(id);
    }

    public Map<String, String> members() {
        return members;
    }

    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        for (EmbeddedNode n : running.values()) {
            try {
                n.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        running.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
