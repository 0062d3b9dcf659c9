package io.raftkv.server.cli;

import io.raftkv.plugin.StateMachinePlugin;
import io.raftkv.server.Main;
import io.raftkv.server.ServerConfig;
import io.raftkv.server.plugin.Plugins;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code raftkv demo}: a local 3-node cluster as three {@code serve} child processes (data in
 * {@code ./data/n1..n3}, Raft on 127.0.0.1:7001–7003, HTTP on 127.0.0.1:8001–8003, RESP on 127.0.0.1:6381–6383 for a
 * plugin with RESP commands). Ctrl-C stops all three; the children also watch this process and exit if it dies (even
 * by kill -9). A child that dies (say, killed to watch the leader change) is reported with the command that restarts
 * it; the others keep running.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a local 3-node cluster as three child processes; Ctrl-C stops it.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--data", defaultValue = "data", description = "Parent of the nodes' data directories (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--raft-base-port", defaultValue = "7001", description = "Raft port of n1; n2, n3 follow (default: ${DEFAULT-VALUE}).")
    int raftBase;

    @Option(names = "--http-base-port", defaultValue = "8001", description = "HTTP port of n1; n2, n3 follow (default: ${DEFAULT-VALUE}).")
    int httpBase;

    @Option(names = "--resp-base-port", defaultValue = "6381",
            description = "RESP (Redis protocol) port of n1; n2, n3 follow; 0 = no RESP (default: ${DEFAULT-VALUE})."
                    + " Only for a state machine with RESP commands (kv).")
    int respBase;

    @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--state-machine", defaultValue = ServerConfig.DEFAULT_STATE_MACHINE, paramLabel = "NAME",
            description = "The state machine plugin every node runs: kv or sql, or any other on the class path"
                    + " (default: ${DEFAULT-VALUE}). Another than the default keeps its data in --data/NAME/n1, ...,"
                    + " so that the demos of two state machines never share a log.")
    String stateMachine;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 9) {
            throw new Main.UsageException("--nodes must be between 1 and 9", null);
        }
        StateMachinePlugin plugin;
        try {
            plugin = Plugins.named(stateMachine);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage(), e);
        }
        // The default plugin's demo keeps the layout it always had (data/n1, ...): the README's commands use it.
        Path parent = stateMachine.equals(ServerConfig.DEFAULT_STATE_MACHINE) ? data : data.resolve(stateMachine);
        List<String> endpoints = new ArrayList<>();
        List<String> respEndpoints = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            endpoints.add("127.0.0.1:" + (httpBase + i - 1));
            respEndpoints.add("127.0.0.1:" + (respBase + i - 1));
        }
        // A plugin without RESP commands lists no RESP examples: its nodes would refuse --resp.
        List<String> respExamples = respBase > 0 ? plugin.exampleRespRequests(respEndpoints) : List.of();
        boolean resp = !respExamples.isEmpty();
        StringBuilder peers = new StringBuilder();
        for (int i = 1; i <= nodes; i++) {
            peers.append(i > 1 ? "," : "").append("n").append(i).append("=127.0.0.1:").append(raftBase + i - 1);
        }
        List<Process> children = new ArrayList<>();
        List<List<String>> serveArgs = new ArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll(children);
            stopped.countDown();
        }, "raftkv-demo-shutdown"));
        for (int i = 1; i <= nodes; i++) {
            String id = "n" + i;
            Path dir = parent.resolve(id);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new Main.UsageException("cannot create data directory " + dir + ": " + e.getMessage(), e);
            }
            List<String> cmd = javaCommand(id);
            List<String> serve = new ArrayList<>(List.of("serve", "--id", id, "--data", dir.toString(),
                    "--raft", "127.0.0.1:" + (raftBase + i - 1), "--http", "127.0.0.1:" + (httpBase + i - 1),
                    "--peers", peers.toString(), "--state-machine", stateMachine,
                    "--parent-pid", Long.toString(ProcessHandle.current().pid())));
            if (resp) {
                serve.addAll(List.of("--resp", respEndpoints.get(i - 1)));
            }
            cmd.addAll(serve);
            serveArgs.add(serve);
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            synchronized (children) {
                children.add(p);
            }
        }
        System.out.println();
        System.out.println("raftkv demo: " + nodes + " nodes running the " + plugin.name() + " state machine");
        for (int i = 1; i <= nodes; i++) {
            System.out.printf("  n%d  http://127.0.0.1:%d   raft 127.0.0.1:%d   %sdata %s%n", i, httpBase + i - 1,
                    raftBase + i - 1, resp ? "resp " + respEndpoints.get(i - 1) + "   " : "",
                    parent.resolve("n" + i));
        }
        System.out.println("Try:");
        for (String example : plugin.exampleRequests(endpoints)) {
            System.out.println("  " + example);
        }
        System.out.printf("  curl http://127.0.0.1:%d/status%n", httpBase);
        for (String example : respExamples) {
            System.out.println("  " + example);
        }
        if (resp) {
            System.out.printf("  (any Redis client: RESP on 127.0.0.1:%d-%d)%n", respBase, respBase + nodes - 1);
        }
        System.out.println("Ctrl-C stops all nodes.");
        System.out.println();
        // Killing one node (kill -9 <pid>) is part of the demo: report it, keep the others running, and show how
        // to bring it back. The demo ends on Ctrl-C (the shutdown hook stops every child) or when all have exited.
        List<Integer> alive = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            alive.add(i);
        }
        while (stopped.getCount() > 0 && !alive.isEmpty()) {
            for (Integer i : List.copyOf(alive)) {
                Process p = children.get(i);
                if (!p.isAlive()) {
                    alive.remove(i);
                    System.err.printf("raftkv demo: n%d (pid %d) exited with code %d; the others keep running."
                            + " Restart it with:%n  bin/raftkv %s%n", i + 1, p.pid(), p.exitValue(),
                            String.join(" ", serveArgs.get(i)).replaceAll(" --parent-pid \\d+", ""));
                }
            }
            stopped.await(500, TimeUnit.MILLISECONDS);
        }
        return alive.isEmpty() ? 1 : 0;
    }

    /** The same java, classpath and JVM flags (Chronicle's --add-opens etc.) as this process. */
    private static List<String> javaCommand(String nodeId) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Draftkv.node=")) {
                cmd.add(arg);
            }
        }
        cmd.add("-Draftkv.node=" + nodeId);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        return cmd;
    }

    /** SIGTERM to every child (graceful close), then kill what is still alive after 10 s. */
    private static void stopAll(List<Process> children) {
        List<Process> all;
        synchronized (children) {
            all = List.copyOf(children);
        }
        all.forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Process p : all) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }
}
