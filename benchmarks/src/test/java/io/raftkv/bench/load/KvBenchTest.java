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
        assertTrue(e.getMessage().contains("[raftkv, sql]") && e.getMessage().contains("benchmarks-etcd"), e.getMessage());
    }

    @Test
    void theSqlDriverInsertsOneRowPerPutAndReadsItBackAtTheMappedLevel() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Map<String, String> rows = new ConcurrentHashMap<>();
        java.util.Set<String> levels = ConcurrentHashMap.newKeySet();
        AtomicInteger statements = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/db/", exchange -> {
            JsonNode body = json.readTree(exchange.getRequestBody());
            String answer;
            if (exchange.getRequestURI().getPath().equals("/db/execute")) {
                JsonNode first = body.get(0);
                statements.addAndGet(body.size());
                if (first.isArray() && first.get(0).asText().startsWith("INSERT INTO bench(k, v)")) {
                    rows.put(first.get(1).asText(), first.get(2).asText());
                    answer = rows.size() % 7 == 0 ? "{\"results\":[{\"error\":\"disk I/O error\"}]}"
                            : "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}";
                } else {
                    answer = "{\"results\":[{},{}]}"; // the schema
                }
            } else {
                levels.add(exchange.getRequestURI().getQuery());
                String v = rows.get(body.get(0).get(1).asText());
                answer = v == null ? "{\"results\":[{\"columns\":[\"v\"],\"types\":[\"text\"]}]}"
                        : "{\"results\":[{\"columns\":[\"v\"],\"types\":[\"text\"],\"values\":[[\"" + v + "\"]]}]}";
            }
            byte[] bytes = answer.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        try (KvDriverFactory factory = KvBench.factory("sql")) {
            KvDriver driver = factory.connect("127.0.0.1:" + server.getAddress().getPort(), "lease",
                    java.time.Duration.ofSeconds(5));
            byte[] value = {0, 1, 2, (byte) 0xFF, '"'};
            driver.put("k\"1", value).toCompletableFuture().get(); // a key JSON must escape
            assertEquals(java.util.Base64.getEncoder().encodeToString(value), rows.get("k\"1"));
            org.junit.jupiter.api.Assertions.assertArrayEquals(value, driver.get("k\"1").toCompletableFuture().get());
            assertEquals(null, driver.get("absent").toCompletableFuture().get());
            assertEquals(java.util.Set.of("level=weak"), levels, "kvbench's lease is the API's weak");
            for (int i = 2; i < 7; i++) {
                driver.put("k" + i, value).toCompletableFuture().get();
            }
            java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class,
                    () -> driver.put("k7", value).toCompletableFuture().get());
            assertEquals("sql_error", ((KvDriver.KvError) failed.getCause()).kind(), "a statement's error result");
            driver.close();
        } finally {
            server.stop(0);
        }
        assertEquals(2 + 7, statements.get(), "the schema's two statements once, then one INSERT per put");
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
