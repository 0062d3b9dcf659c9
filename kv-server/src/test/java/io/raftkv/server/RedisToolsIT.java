package io.raftkv.server;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's {@code redis-cli} and {@code redis-benchmark} (package redis-tools, which {@code .ci/run} installs)
 * against three {@code serve --resp} processes: commands through every node, a mass insert with
 * {@code redis-cli --pipe}, {@code --scan}, {@code COMMAND DOCS} (what redis-cli's interactive help loads), and a
 * short pipelined {@code redis-benchmark} run without errors. Skipped, loudly, when the tools are not installed.
 */
class RedisToolsIT {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void redisCliAndRedisBenchmarkAgainstThreeNodes() throws Exception {
        Path cli = Path.of(System.getProperty("redis.cli", "/usr/bin/redis-cli"));
        Path bench = Path.of(System.getProperty("redis.benchmark", "/usr/bin/redis-benchmark"));
        if (!Files.isExecutable(cli) || !Files.isExecutable(bench)) {
            String banner = "\n" + "!".repeat(100) + "\n!!! RedisToolsIT SKIPPED: no " + cli + " or " + bench
                    + " -- install Debian's redis-tools (.ci/run does) to test raftkv with redis-cli and redis-benchmark\n"
                    + "!".repeat(100) + "\n";
            System.err.println(banner);
            System.out.println(banner);
            Assumptions.abort("redis-tools not installed: redis-cli/redis-benchmark were not run");
        }
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            c.startAll();
            c.awaitLeader(START);
            List<String> ids = new ArrayList<>(c.resp.keySet());
            assertEquals("OK", run(cli, c.resp.get(ids.get(0)), "set", "hello", "world").strip());
            for (String id : ids) {
                assertEquals("world", run(cli, c.resp.get(id), "get", "hello").strip(), "through " + id);
            }
            assertEquals("2", run(cli, c.resp.get(ids.get(1)), "incrby", "n", "2").strip());
            assertTrue(run(cli, c.resp.get(ids.get(2)), "info", "replication").contains("raftkv_leader:n"));
            assertTrue(run(cli, c.resp.get(ids.get(2)), "command", "docs", "set").contains("summary"));

            // Mass insertion, redis-cli's way: a RESP stream on stdin, then an ECHO to know all replies are in.
            Path input = dir.resolve("mass.resp");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 5000; i++) {
                String k = "mass:" + i;
                String v = "v" + i;
                sb.append("*3\r\n$3\r\nSET\r\n$").append(k.length()).append("\r\n").append(k).append("\r\n$")
                        .append(v.length()).append("\r\n").append(v).append("\r\n");
            }
            Files.writeString(input, sb.toString());
            String piped = run(input, cli, "-h", host(c.resp.get(ids.get(1))), "-p", port(c.resp.get(ids.get(1))),
                    "--pipe");
            assertTrue(piped.contains("errors: 0, replies: 5000"), piped);
            assertEquals("v4999", run(cli, c.resp.get(ids.get(0)), "get", "mass:4999").strip());
            String scanned = run(null, cli, "-h", host(c.resp.get(ids.get(2))), "-p", port(c.resp.get(ids.get(2))),
                    "--scan", "--pattern", "mass:*"); // no --count: Debian's redis-cli 7.0 lacks it
            assertEquals(5000, scanned.lines().filter(l -> l.startsWith("mass:")).distinct().count());

            String out = run(null, bench, "-h", host(c.resp.get(ids.get(0))), "-p", port(c.resp.get(ids.get(0))),
                    "-t", "set,get", "-n", "5000", "-c", "10", "-P", "16", "-d", "100", "-r", "1000", "--csv");
            System.out.println("redis-benchmark against raftkv:\n" + out);
            assertTrue(out.contains("\"SET\"") && out.contains("\"GET\""), out);
            assertEquals(String.valueOf(1 + 1 + 5000 + countRandomKeys(cli, c.resp.get(ids.get(0)))),
                    run(cli, c.resp.get(ids.get(2)), "dbsize").strip());
        }
    }

    /** Keys redis-benchmark's -r 1000 wrote: {@code key:000000000xyz}. */
    private long countRandomKeys(Path cli, String address) throws Exception {
        String keys = run(null, cli, "-h", host(address), "-p", port(address), "--scan", "--pattern", "key:*");
        return keys.lines().filter(l -> l.startsWith("key:")).count();
    }

    private String run(Path cli, String address, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(cli.toString(), "-h", host(address), "-p", port(address)));
        cmd.addAll(List.of(args));
        return exec(null, cmd);
    }

    private String run(Path stdin, Path tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool.toString()));
        cmd.addAll(List.of(args));
        return exec(stdin, cmd);
    }

    private String exec(Path stdin, List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "tool", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish in 120 s: " + Files.readString(out));
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), cmd + ": " + text);
        return text;
    }

    private static String host(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }

    private static String port(String address) {
        return address.substring(address.lastIndexOf(':') + 1);
    }
}
