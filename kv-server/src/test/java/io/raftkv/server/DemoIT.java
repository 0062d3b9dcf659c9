package io.raftkv.server;

import io.raftkv.embedded.TestPorts;
import io.raftkv.kv.client.KvClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code raftkv demo} from the shaded jar: three working nodes; kill -9 of the demo takes its children with it. */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void demoServesAndItsChildrenDieWithIt() throws Exception {
        int raftBase = TestPorts.freeRun(3);
        int httpBase = TestPorts.freeRun(3);
        int respBase = TestPorts.freeRun(3);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.stream(System.getProperty("chronicle.jvm.flags", "").trim().split("\\s+"))
                .filter(s -> !s.isEmpty()).toList());
        cmd.addAll(List.of("-Xmx128m", "-XX:+UseSerialGC", "-jar", ProcessCluster.jar().toString(), "demo",
                "--data", dir.resolve("data").toString(), "--raft-base-port", Integer.toString(raftBase),
                "--http-base-port", Integer.toString(httpBase), "--resp-base-port", Integer.toString(respBase)));
        Process demo = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("demo.log").toFile()).start();
        List<ProcessHandle> children = new ArrayList<>();
        try {
            String[] endpoints = {"127.0.0.1:" + httpBase, "127.0.0.1:" + (httpBase + 1), "127.0.0.1:" + (httpBase + 2)};
            try (KvClient kv = new KvClient(List.of(endpoints), Duration.ofSeconds(10), 200)) {
                kv.put("demo", "works"); // retries (with backoff) until the cluster is up
                for (String e : endpoints) {
                    // Retries too: the put may have been answered before this node's HTTP port opened.
                    try (KvClient one = new KvClient(List.of(e), Duration.ofSeconds(10), 200)) {
                        assertEquals(Optional.of("works"), one.get("demo", "linearizable"), e);
                    }
                }
            }
            // The demo speaks RESP too, on the ports it says.
            try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis("127.0.0.1", respBase + 2)) {
                assertEquals("works", jedis.get("demo"));
            }
            assertTrue(Files.readString(dir.resolve("demo.log")).contains("resp 127.0.0.1:" + respBase),
                    "the demo says where RESP listens");
            children.addAll(demo.descendants().toList());
            assertEquals(3, children.size(), "three serve children");

            demo.destroyForcibly(); // kill -9: no shutdown hook runs in the parent
            demo.waitFor(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && children.stream().anyMatch(ProcessHandle::isAlive)) {
                Thread.sleep(100);
            }
            assertTrue(children.stream().noneMatch(ProcessHandle::isAlive), "children exit when the demo dies");
        } finally {
            demo.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    @Timeout(120)
    void simulateRunsTheBundledSimulator() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", ProcessCluster.jar().toString(), "simulate", "--nodes", "3", "--seeds", "3"));
        Path out = dir.resolve("simulate.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "simulate finished");
            String text = java.nio.file.Files.readString(out);
            assertEquals(0, p.exitValue(), text);
            assertTrue(text.contains("violations=0"), text);
        } finally {
            p.destroyForcibly();
        }
    }
}
