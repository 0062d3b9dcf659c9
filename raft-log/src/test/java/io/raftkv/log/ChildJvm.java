package io.raftkv.log;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A child JVM that a crash test starts and later kills: its stdout lines are collected as they come (the child
 * prints what it made durable), its stderr goes to a file for the failure message.
 */
final class ChildJvm {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private final Path errFile;

    private ChildJvm(Process process, Path errFile, String name) {
        this.process = process;
        this.errFile = errFile;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child was killed
            }
        }, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} on this JVM's class path with {@code jvmFlags} and {@code args}. Short-lived and
     * started many times, so it starts fast with few threads (C1 only, serial GC).
     */
    static ChildJvm start(String name, List<String> jvmFlags, Class<?> mainClass, List<String> args, Path errDir)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:CICompilerCount=1"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(args);
        Path err = Files.createTempFile(Files.createDirectories(errDir), name, ".err");
        return new ChildJvm(new ProcessBuilder(cmd).redirectError(err.toFile()).start(), err, name);
    }

    /** Waits until a line starting with {@code prefix} came, the child died, or the time is up. */
    void awaitLine(String prefix, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline && process.isAlive()) {
            for (String l : lines) {
                if (l.startsWith(prefix)) {
                    return;
                }
            }
            Thread.sleep(2);
        }
    }

    /** After the child ended: waits until every line it printed was read. */
    void drain() throws InterruptedException {
        reader.join(10_000);
    }

    String stderr() {
        try {
            return Files.readString(errFile);
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
