package io.raftkv.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The {@code raftkv serve} child processes of one run, each on its own loopback address {@code 127.0.0.x} (raft
 * and HTTP ports on that address). Because the transport binds its outbound peer sockets to the node's own raft
 * host, every raft packet between two nodes carries both nodes' addresses, which is what lets
 * {@link IptablesPartitioner} cut any pair.
 *
 * <p>Faults are real signals: {@link #kill} is {@code SIGKILL}, {@link #pause}/{@link #resume} are
 * {@code SIGSTOP}/{@code SIGCONT} via {@code kill(1)} on the child's pid. {@link #close} resumes and kills every
 * process it started, and a JVM shutdown hook does the same if the harness dies first — a stopped child cannot
 * notice its parent is gone, so this matters.
 *
 * <p>Thread-safe: client threads read {@link #label} while the nemesis kills and restarts.
 */
public final class ServerProcesses implements AutoCloseable {
    /** One server's fixed identity: its id and its own loopback address. */
    public record Node(String id, String host, int raftPort, int httpPort, int respPort) {
        public String raft() {
            return host + ":" + raftPort;
        }

        /** The node's RESP (Redis protocol) address. */
        public String resp() {
            return host + ":" + respPort;
        }

        public String http() {
            return host + ":" + httpPort;
        }
    }

    /** The state machine {@code serve} runs by default, the KV store: the only one with a RESP front door. */
    public static final String KV = "kv";

    private final Path jar;
    private final Path dir;
    private final List<String> extraJvmArgs;
    private final List<String> extraServeArgs;
    private final String stateMachine;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    private final Set<String> paused = ConcurrentHashMap.newKeySet();
    /** Incremented on every start: a restarted node is a new session for the stale-read checker. */
    private final Map<String, Integer> generation = new ConcurrentHashMap<>();
    private final Thread shutdownHook = new Thread(this::killAll, "raft-fault-processes");

    /**
     * @param firstOctet node i (1-based) gets {@code 127.0.0.(firstOctet + i - 1)}; never 1, which is the source
     *                   address of every loopback connection that does not bind (clients, HTTP forwarding)
     */
    public ServerProcesses(Path jar, Path dir, int n, int firstOctet, List<String> extraJvmArgs) {
        this(jar, dir, n, firstOctet, extraJvmArgs, List.of());
    }

    /**
     * The same, with {@code extraServeArgs} appended to every {@code serve} command line. In both lists {@code {id}}
     * stands for the node's id.
     */
    public ServerProcesses(Path jar, Path dir, int n, int firstOctet, List<String> extraJvmArgs,
                           List<String> extraServeArgs) {
        this(jar, dir, n, firstOctet, extraJvmArgs, extraServeArgs, KV);
    }

    /**
     * The same, serving the state machine plugin {@code stateMachine} ({@code serve --state-machine}, e.g.
     * {@code sql}). Only {@link #KV} nodes get a {@code --resp} port: the RESP front door speaks the KV store's
     * commands and a server with another plugin refuses it.
     */
    public ServerProcesses(Path jar, Path dir, int n, int firstOctet, List<String> extraJvmArgs,
                           List<String> extraServeArgs, String stateMachine) {
        if (firstOctet < 2 || firstOctet + n - 1 > 254) {
            throw new IllegalArgumentException("addresses 127.0.0." + firstOctet + "+" + n + " out of range");
        }
        this.jar = jar;
        this.dir = dir;
        this.extraJvmArgs = List.copyOf(extraJvmArgs);
        this.extraServeArgs = List.copyOf(extraServeArgs);
        this.stateMachine = java.util.Objects.requireNonNull(stateMachine, "stateMachine");
        for (int i = 1; i <= n; i++) {
            String host = "127.0.0." + (firstOctet + i - 1);
            nodes.put("n" + i, new Node("n" + i, host, freePort(host), freePort(host), freePort(host)));
            generation.put("n" + i, 0);
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Ports are picked below Linux's ephemeral range (32768-60999 by default). A node's raft transport binds its
     * outgoing connections to the node's address, and it connects out before the HTTP server binds: a port picked
     * by binding port 0 came from that same range, and once (seed 964881) the node's own outgoing connection took
     * it first, so the node failed with "Address already in use".
     */
    private static final int LOWEST_PORT = 20_000;
    private static final int HIGHEST_PORT = 32_767;
    private static final java.util.Set<String> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static int freePort(String host) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        IOException last = null;
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(LOWEST_PORT, HIGHEST_PORT + 1);
            if (!GIVEN.add(host + ":" + port)) {
                continue; // never hand out the same port twice in this JVM
            }
            try (ServerSocket s = new ServerSocket(port, 1, address)) {
                return s.getLocalPort();
            } catch (IOException inUse) {
                last = inUse;
            }
        }
        throw new UncheckedIOException("no free port on " + host + " in [" + LOWEST_PORT + ", " + HIGHEST_PORT
                + "] (is 127.0.0.0/8 routed to lo?)", last != null ? last : new IOException("all taken"));
    }

    public List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    public Node node(String id) {
        return nodes.get(id);
    }

    public Path log(String id) {
        return dir.resolve(id + ".log");
    }

    /** The node's data directory ({@code --data}). */
    public Path dataDir(String id) {
        return dir.resolve(id);
    }

    /** {@code n2#3}: the node and how many times it was started, the session label of its reads. */
    public String label(String id) {
        return id + "#" + generation.get(id);
    }

    public boolean isRunning(String id) {
        return running.containsKey(id);
    }

    public boolean isPaused(String id) {
        return paused.contains(id);
    }

    /** Running and not paused: can answer. */
    public List<String> responsive() {
        return ids().stream().filter(id -> running.containsKey(id) && !paused.contains(id)).toList();
    }

    public synchronized void start(String id) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException(id + " is already running");
        }
        Node node = nodes.get(id);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String flags = System.getProperty("chronicle.jvm.flags", "");
        cmd.addAll(Arrays.stream(flags.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
        cmd.addAll(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Draftkv.node=" + id));
        extraJvmArgs.forEach(a -> cmd.add(a.replace("{id}", id)));
        cmd.addAll(List.of("-jar", jar.toString(), "serve", "--id", id, "--data", dir.resolve(id).toString(),
                "--raft", node.raft(), "--http", node.http(), "--cluster-id", "fault",
                "--request-timeout-ms", "1500",
                // Far below the default, so that every run takes snapshots, compacts and installs them under faults.
                "--snapshot-threshold", "4096",
                "--peers", nodes.values().stream().map(n -> n.id() + "=" + n.raft()).collect(Collectors.joining(",")),
                "--http-peers", nodes.values().stream().map(n -> n.id() + "=" + n.http()).collect(Collectors.joining(",")),
                // If the harness JVM dies, a running server follows it (a stopped one is resumed by our hook).
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        cmd.addAll(stateMachine.equals(KV) ? List.of("--resp", node.resp()) : List.of("--state-machine", stateMachine));
        extraServeArgs.forEach(a -> cmd.add(a.replace("{id}", id)));
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile())).start();
        generation.merge(id, 1, Integer::sum);
        running.put(id, p);
    }

    /** {@code kill -9}, then waits for the process to be gone (its data directory lock released). */
    public synchronized void kill(String id) throws InterruptedException {
        Process p = running.remove(id);
        if (p == null) {
            return;
        }
        paused.remove(id); // SIGKILL also ends a stopped process
        p.destroyForcibly();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException(id + " (pid " + p.pid() + ") survived kill -9 for 20 s");
        }
    }

    /** {@code kill -STOP}: the process freezes with its sockets open; peers and clients see silence, not resets. */
    public synchronized void pause(String id) throws IOException, InterruptedException {
        Process p = running.get(id);
        // A process that exited on its own is not signalled: crashed() reports it as a finding.
        if (p != null && p.isAlive() && paused.add(id)) {
            signal("STOP", p.pid());
        }
    }

    /** {@code kill -CONT}. */
    public synchronized void resume(String id) throws IOException, InterruptedException {
        Process p = running.get(id);
        if (p != null && paused.remove(id) && p.isAlive()) {
            signal("CONT", p.pid());
        }
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS)) {
            kill.destroyForcibly();
            throw new IOException("kill -" + signal + " " + pid + " did not return within 10 s");
        }
        if (kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed: "
                    + new String(kill.getInputStream().readAllBytes()).trim());
        }
    }

    /** Ids of processes that died on their own (not killed by us): always a finding. */
    public List<String> crashed() {
        List<String> dead = new ArrayList<>();
        running.forEach((id, p) -> {
            if (!p.isAlive()) {
                dead.add(id + " (exit " + p.exitValue() + ", see " + log(id) + ")");
            }
        });
        Collections.sort(dead);
        return dead;
    }

    private void killAll() {
        for (Map.Entry<String, Process> e : running.entrySet()) {
            long pid = e.getValue().pid();
            if (paused.remove(e.getKey())) {
                try {
                    signal("CONT", pid);
                } catch (IOException | InterruptedException ignored) {
                    // SIGKILL below ends a stopped process too
                }
            }
            e.getValue().destroyForcibly();
        }
        for (Process p : running.values()) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running.clear();
    }

    @Override
    public synchronized void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: nothing left to remove
        }
    }
}
