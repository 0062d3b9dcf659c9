package io.raftkv.verify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckHistoryTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return CheckHistory.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Path save(History history) throws Exception {
        Path file = dir.resolve("history.jsonl");
        HistoryJson.write(history, file);
        return file;
    }

    @Test
    void linearizableHistory() throws Exception {
        Path file = save(new Hist().write(1, "a", 0, 10).read(2, "a", 20, 30).history());
        assertEquals(CheckHistory.OK, run(file.toString()), out() + err);
        assertTrue(out().contains("linearizability: OK"), out());
        assertTrue(out().contains("stale reads: OK"), out());
    }

    @Test
    void violationPrintsTheKeyAndTheOperations() throws Exception {
        Path file = save(new Hist().key("acct").write(1, "a", 0, 10).write(1, "b", 20, 100).read(2, "b", 30, 40)
                .read(3, "a", 50, 60).history());
        assertEquals(CheckHistory.VIOLATION, run(file.toString()), out() + err);
        assertTrue(out().contains("key acct: NOT linearizable"), out());
        assertTrue(out().contains("#3 p3 acct read = \"a\""), out());
    }

    @Test
    void staleReadAnomalyIsAViolation() throws Exception {
        Path file = save(new Hist().staleRead(2, "zzz", 0, 10).history());
        assertEquals(CheckHistory.VIOLATION, run(file.toString()), out() + err);
        assertTrue(out().contains("out of thin air"), out());
        assertEquals(CheckHistory.OK, run("--no-stale-check", file.toString()), out() + err);
    }

    @Test
    void exhaustedBudgetIsUndecided() throws Exception {
        Hist h = new Hist();
        for (int i = 0; i < 20; i++) {
            h.write(i, "v" + i, 0, 1000);
        }
        h.read(99, "nope", 2000, 2001);
        Path file = save(h.history());
        assertEquals(CheckHistory.UNDECIDED, run("--step-budget", "100", "--no-stale-check", file.toString()), out() + err);
        assertTrue(out().contains("UNKNOWN"), out());
    }

    @Test
    void badInput() throws Exception {
        Path file = dir.resolve("broken.jsonl");
        Files.writeString(file, "{\"id\":0,\"process\":1}\n");
        assertEquals(CheckHistory.BAD_INPUT, run(file.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("line 1"), err.toString(StandardCharsets.UTF_8));
        assertEquals(CheckHistory.BAD_INPUT, run(dir.resolve("missing.jsonl").toString()));
    }

    @Test
    void badUsage() {
        assertEquals(CheckHistory.USAGE, run());
        assertEquals(CheckHistory.USAGE, run("--threads"));
        assertEquals(CheckHistory.USAGE, run("--threads", "zero", "f"));
        assertEquals(CheckHistory.USAGE, run("--frobnicate", "f"));
        assertEquals(CheckHistory.USAGE, run("a", "b"));
    }
}
