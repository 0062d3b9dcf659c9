package io.raftkv.verify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HistoryJsonTest {
    @TempDir
    Path dir;

    private static History sample() {
        return new Hist().write(1, "a", 0, 10).write(2, null, 5, 15).read(3, "a", 1, 12).read(3, null, 20, 30)
                .cas(1, null, "b", true, 40, 50).cas(2, "x", "y", false, 41, 51).casUnknown(3, "b", null, 60, 70)
                .writeFailed(1, "f", 80, 90).readUnknown(2, 80, 100).staleRead(4, "n2", "b", 95, 99).history();
    }

    @Test
    void roundTripThroughAFile() throws Exception {
        History history = sample();
        Path file = dir.resolve("h.jsonl");
        HistoryJson.write(history, file);
        assertEquals(history.size(), Files.readAllLines(file).size(), "one operation per line");
        assertEquals(history, HistoryJson.read(file));
    }

    @Test
    void nullsAreOmittedAndMeanAbsent() {
        Operation delete = sample().operations().get(1);
        String json = HistoryJson.toJson(delete);
        assertEquals("{\"id\":1,\"process\":2,\"key\":\"k\",\"kind\":\"WRITE\",\"invokedAt\":5,\"completedAt\":15,"
                + "\"outcome\":\"OK\"}", json);
    }

    @Test
    void readsAJsonArrayToo() throws Exception {
        StringWriter lines = new StringWriter();
        HistoryJson.write(sample(), lines);
        String array = "  \n[" + String.join(",", lines.toString().strip().split("\n")) + "]";
        assertEquals(sample(), HistoryJson.read(array));
    }

    @Test
    void blankLinesAreIgnored() throws Exception {
        String json = "\n" + HistoryJson.toJson(sample().operations().get(0)) + "\n\n";
        assertEquals(1, HistoryJson.read(json).size());
    }

    @Test
    void malformedLineIsReportedWithItsNumber() {
        String json = HistoryJson.toJson(sample().operations().get(0)) + "\n{\"id\":1,\"process\":";
        HistoryFormatException e = assertThrows(HistoryFormatException.class, () -> HistoryJson.read(json));
        assertTrue(e.getMessage().startsWith("line 2:"), e.getMessage());
    }

    @Test
    void missingRequiredFieldIsAnError() {
        String json = "{\"id\":1,\"process\":2,\"key\":\"k\",\"kind\":\"WRITE\",\"invokedAt\":5,\"outcome\":\"OK\"}";
        HistoryFormatException e = assertThrows(HistoryFormatException.class, () -> HistoryJson.read(json));
        assertTrue(e.getMessage().contains("completedAt"), e.getMessage());
    }

    @Test
    void misspelledFieldIsAnError() {
        // Without the typo this would be a valid delete: the misspelt value must not silently turn it into one.
        String json = "{\"id\":1,\"process\":2,\"key\":\"k\",\"kind\":\"WRITE\",\"invokedAt\":5,\"completedAt\":6,"
                + "\"outcome\":\"OK\",\"valeu\":\"a\"}";
        HistoryFormatException e = assertThrows(HistoryFormatException.class, () -> HistoryJson.read(json));
        assertTrue(e.getMessage().contains("valeu"), e.getMessage());
    }

    @Test
    void inconsistentOperationIsAnError() {
        String backwards = "{\"id\":1,\"process\":2,\"key\":\"k\",\"kind\":\"WRITE\",\"value\":\"a\",\"invokedAt\":5,"
                + "\"completedAt\":4,\"outcome\":\"OK\"}";
        HistoryFormatException e = assertThrows(HistoryFormatException.class, () -> HistoryJson.read(backwards));
        assertTrue(e.getMessage().contains("before it is invoked"), e.getMessage());

        String casWithoutResult = "{\"id\":1,\"process\":2,\"key\":\"k\",\"kind\":\"CAS\",\"value\":\"a\","
                + "\"invokedAt\":5,\"completedAt\":6,\"outcome\":\"OK\"}";
        e = assertThrows(HistoryFormatException.class, () -> HistoryJson.read(casWithoutResult));
        assertTrue(e.getMessage().contains("swapped"), e.getMessage());

        String unknownKind = "{\"id\":1,\"process\":2,\"key\":\"k\",\"kind\":\"INCREMENT\",\"invokedAt\":5,"
                + "\"completedAt\":6,\"outcome\":\"OK\"}";
        assertThrows(HistoryFormatException.class, () -> HistoryJson.read(unknownKind));
    }

    @Test
    void duplicateIdsAreAnError() {
        String line = HistoryJson.toJson(sample().operations().get(0));
        HistoryFormatException e = assertThrows(HistoryFormatException.class,
                () -> HistoryJson.read(line + "\n" + line));
        assertTrue(e.getMessage().contains("duplicate operation id 0"), e.getMessage());
    }

    @Test
    void savedViolationRechecksTheSame() throws Exception {
        History history = RegisterSimulation.generate(7, RegisterSimulation.Config.of(6, 2, 400)
                .withFault(RegisterSimulation.Fault.DUPLICATE_WRITE, 0.05));
        Path file = dir.resolve("failed.jsonl");
        HistoryJson.write(history, file);
        LinearizabilityChecker checker = new LinearizabilityChecker();
        CheckResult before = checker.check(history);
        CheckResult after = checker.check(HistoryJson.read(file));
        assertEquals(Verdict.VIOLATION, before.verdict(), "seed 7: " + before.report());
        assertEquals(before.verdict(), after.verdict());
        assertEquals(before.violations().get(0).longestPrefix(), after.violations().get(0).longestPrefix());
    }
}
