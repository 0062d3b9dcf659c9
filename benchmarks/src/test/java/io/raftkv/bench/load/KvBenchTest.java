package io.raftkv.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the load generator against an in-process fake of the HTTP API and checks what it counts. */
class KvBenchTest {

    @Test
    void countsPutsGetsAndErrorsByKind(@TempDir Path dir) throws Exception {
        Map<String, byte[]> store = new ConcurrentHashMap<>();
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/key/", exchange -> {
            int n = requests.incrementAndGet();
            String key = exchange.getRequestURI().getPath().substring("/key/".length());
            if (n % 50 == 0) {
                exchange.sendResponseHeaders(503, -1); // every 50th request is "not applied"
            } else if (exchange.getRequestMethod().equals("PUT")) {
                store.put(key, exchange.getRequestBody().readAllBytes());
                exchange.sendResponseHeaders(204, -1);
            } else {
                byte[] v = store.get(key);
                if (v == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else {
                    exchange.sendResponseHeaders(200, v.length);
                    exchange.getResponseBody().write(v);
                }
            }
            exchange.close();
        });
        server.start();
        try {
            File out = dir.resolve("result.json").toFile();
            int code = new CommandLine(new KvBench()).execute("--endpoints", "127.0.0.1:" + server.getAddress().getPort(),
                    "--clients", "4", "--duration", "1s", "--warmup", "200ms", "--keys", "100", "--read-ratio", "0.5",
                    "--quiet", "--out", out.getPath());
            assertEquals(0, code);
            JsonNode r = new ObjectMapper().readTree(out);
            long puts = r.at("/operations/put/count").asLong();
            long gets = r.at("/operations/get/count").asLong();
            assertTrue(puts > 10 && gets > 10, r.toString());
            long errors = r.at("/operations/put/errors/http_503").asLong() + r.at("/operations/get/errors/http_503").asLong();
            assertTrue(errors > 0, "503s are counted by kind: " + r);
            assertTrue(r.at("/operations/put/p99Ms").asDouble() >= r.at("/operations/put/p50Ms").asDouble());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void findsDriversByNameAndNamesTheKnownOnesOtherwise() {
        try (KvDriverFactory f = KvBench.factory("raftkv")) {
            assertEquals("raftkv", f.name());
        }
        CommandLine.ParameterException e = org.junit.jupiter.api.Assertions.assertThrows(
                CommandLine.ParameterException.class, () -> KvBench.factory("etcd"));
        assertTrue(e.getMessage().contains("[raftkv]") && e.getMessage().contains("benchmarks-etcd"), e.getMessage());
    }

    @Test
    void readsTheCpuOfAProcessFromProc() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self")));
        double own = CpuClock.processSeconds(ProcessHandle.current().pid());
        assertTrue(own > 0, "this JVM has used CPU: " + own);
        assertTrue(Double.isNaN(CpuClock.processSeconds(Long.MAX_VALUE)), "a missing process reads as NaN");
    }

    @Test
    void parsesDurations() {
        KvBench.DurationConverter c = new KvBench.DurationConverter();
        assertEquals(java.time.Duration.ofMillis(250), c.convert("250ms"));
        assertEquals(java.time.Duration.ofSeconds(30), c.convert("30s"));
        assertEquals(java.time.Duration.ofMinutes(2), c.convert("2m"));
    }
}
