package io.raftkv.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's exit codes and one-line errors (no process is started here; serve fails before it binds). */
@Timeout(60)
class MainTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run capture(IntSupplier body) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = body.getAsInt();
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpOnEveryCommand() {
        for (String[] args : new String[][]{{"--help"}, {"serve", "--help"}, {"demo", "--help"}, {"simulate", "--help"}}) {
            Run r = capture(() -> Main.execute(args));
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().contains("Usage:"), r.out());
        }
    }

    @Test
    void badFlagIsOneLineAndExit2() {
        Run r = capture(() -> Main.execute("serve", "--bogus"));
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("raftkv: "), r.err());

        Run noCommand = capture(() -> Main.execute());
        assertEquals(2, noCommand.code());
    }

    @Test
    void badValuesAreExit2() {
        String peers = "n1=127.0.0.1:1";
        for (String[] args : new String[][]{
                {"serve", "--id", "n9", "--data", dir.toString(), "--raft", "127.0.0.1:1", "--http", "127.0.0.1:2", "--peers", peers},
                {"serve", "--id", "n1", "--data", dir.toString(), "--raft", "nohostport", "--http", "127.0.0.1:2", "--peers", peers},
                {"serve", "--id", "n1", "--data", dir.toString(), "--raft", "127.0.0.1:1", "--http", "127.0.0.1:2", "--peers", "n1"},
                {"serve", "--id", "n1", "--data", dir.toString(), "--raft", "127.0.0.1:1", "--http", "127.0.0.1:2", "--peers", peers, "--tick-ms", "x"},
                // exactly one of --peers and --join
                {"serve", "--id", "n1", "--data", dir.toString(), "--raft", "127.0.0.1:1", "--http", "127.0.0.1:2"},
                {"serve", "--id", "n1", "--data", dir.toString(), "--raft", "127.0.0.1:1", "--http", "127.0.0.1:2", "--peers", peers, "--join", "http://127.0.0.1:3"}}) {
            Run r = capture(() -> Main.execute(args));
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void incompleteOrUnreadablePeerTlsFlagsAreExit2() throws Exception {
        String[] base = {"serve", "--id", "n1", "--data", dir.resolve("tls").toString(), "--raft", "127.0.0.1:" + Ports.free(),
                "--http", "127.0.0.1:" + Ports.free(), "--peers", "n1=127.0.0.1:1"};
        Path pem = Files.writeString(dir.resolve("x.pem"), "not really a pem");
        String[][] cases = {
                {"--tls-cert", pem.toString()},
                {"--tls-cert", pem.toString(), "--tls-key", pem.toString(), "--tls-ca", dir.resolve("missing.pem").toString()}};
        for (String[] tls : cases) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(tls))
                    .toArray(String[]::new);
            Run r = capture(() -> Main.execute(args));
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertTrue(r.err().contains("TLS"), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void unusableDataDirectoryIsExit2() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Run r = capture(() -> Main.execute("serve", "--id", "n1", "--data", file.toString(), "--raft", "127.0.0.1:" + Ports.free(),
                "--http", "127.0.0.1:" + Ports.free(), "--peers", "n1=127.0.0.1:1"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("cannot start n1"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void aDataDirectoryInUseIsExit2() throws Exception {
        String raft = "127.0.0.1:" + Ports.free();
        ServerConfig config = ServerConfig.of("n1", dir.resolve("n1"), raft, "127.0.0.1:" + Ports.free(),
                java.util.Map.of("n1", raft), java.util.Map.of());
        try (ServerNode running = ServerNode.start(config)) {
            Run r = capture(() -> Main.execute("serve", "--id", "n1", "--data", dir.resolve("n1").toString(),
                    "--raft", "127.0.0.1:" + Ports.free(), "--http", "127.0.0.1:" + Ports.free(),
                    "--peers", "n1=" + raft));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("in use"), r.err());
            assertTrue(running.raft().isRunning(), "the running node is untouched");
        }
    }

    @Test
    void aJoinNobodyAnswersIsExit2AndReleasesTheDataDirectory() throws Exception {
        String[] args = {"serve", "--id", "n4", "--data", dir.resolve("n4").toString(),
                "--raft", "127.0.0.1:" + Ports.free(), "--http", "127.0.0.1:" + Ports.free(),
                "--join", "http://127.0.0.1:" + Ports.free(), "--join-timeout-ms", "300"};
        Run r = capture(() -> Main.execute(args));
        assertEquals(2, r.code(), r.err());
        // The node did start (its log lines are on stderr too); the error is one line of its own.
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("raftkv: cannot join")).count(), r.err());
        // The node it started was closed again: the same directory can be opened at once.
        String raft = "127.0.0.1:" + Ports.free();
        try (ServerNode again = ServerNode.start(ServerConfig.of("n4", dir.resolve("n4"), raft, "127.0.0.1:" + Ports.free(),
                java.util.Map.of("n4", raft), java.util.Map.of()))) {
            assertTrue(again.raft().isRunning());
        }
    }

    @Test
    void theSimulatorIsBundled() throws Exception {
        // 'simulate' finds it by reflection; Simulate.main ends with System.exit, so it is run by DemoIT in a child
        // JVM rather than here.
        Class.forName("io.raftkv.sim.Simulate").getMethod("main", String[].class);
    }
}
