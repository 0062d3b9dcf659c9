package io.raftkv.sim;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code Simulate --seed S --events FILE}: the run's events in the cluster view's schema, the run unchanged. */
class SimEventsTest {
    private static final JsonFactory JSON = new JsonFactory();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {3, 7, 19})
    void recordingEventsChangesNothingAndEveryLineIsAnEvent(long seed) throws IOException {
        Simulator sim = new Simulator(SimConfig.defaults(3));
        Schedule schedule = sim.schedule(seed);
        SimResult plain = sim.run(schedule, false);
        Simulation recorded = new Simulation(sim.config(), schedule, false, true);
        SimResult withEvents = recorded.run();
        assertEquals(plain.stats(), withEvents.stats(), "seed " + seed + ": recording must not change the run");
        assertEquals(plain.failed(), withEvents.failed(), "seed " + seed);

        Path file = dir.resolve("run-" + seed + ".ndjson");
        recorded.writeEvents(file, withEvents);
        List<String> lines = Files.readAllLines(file);
        assertEquals("meta", field(lines.get(0), "type"), lines.get(0));
        Map<String, Integer> types = new HashMap<>();
        Set<String> sent = new HashSet<>();
        int paired = 0;
        for (String line : lines.subList(1, lines.size())) {
            String type = field(line, "type");
            types.merge(type, 1, Integer::sum);
            String id = field(line, "id");
            if (type.equals("send")) {
                sent.add(id);
            } else if ((type.equals("recv") || type.equals("drop")) && id != null && sent.contains(id)) {
                paired++;
            }
        }
        for (String expected : List.of("view", "state", "persist", "vote", "append", "commit", "apply", "send",
                "recv", "fault", "network")) {
            assertTrue(types.containsKey(expected), "seed " + seed + ": no " + expected + " event in " + types);
        }
        assertTrue(paired > 0, "receipts name the id of their send");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--seeds", "--seed"})
    void theCommandLineWritesTheFileOnlyForOneSeed(String option) {
        Path file = dir.resolve("cli.ndjson");
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Simulate());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(out));
        int exit = cli.execute("--nodes", "3", option, "5", "--events", file.toString());
        if (option.equals("--seeds")) {
            assertEquals(2, exit, out.toString());
            assertTrue(out.toString().contains("--events needs --seed"), out.toString());
        } else {
            assertEquals(0, exit, out.toString());
            assertTrue(Files.isRegularFile(file), out.toString());
        }
    }

    /** The text of top-level field {@code name} of a JSON object (null if absent or null). */
    private static String field(String line, String name) throws IOException {
        try (JsonParser p = JSON.createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken(), line);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.START_ARRAY || v == JsonToken.START_OBJECT) {
                    p.skipChildren();
                } else if (f.equals(name)) {
                    return v == JsonToken.VALUE_NULL ? null : p.getText();
                }
            }
        }
        return null;
    }
}
