package io.raftkv.sim.scenario;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every scenario in {@code src/test/resources/scenarios} (see raft-sim/README.md, "Scenario tests") and checks
 * that each command prints exactly the output written under it. {@code -Dscenario.rewrite=true} writes the actual
 * output into the files instead: review the diff before committing it.
 */
class ScenarioTest {

    static final Path DIR = Path.of(System.getProperty("basedir", "."), "src", "test", "resources", "scenarios");
    private static final boolean REWRITE = Boolean.getBoolean("scenario.rewrite");

    static Stream<String> scenarios() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt")).sorted().toList();
            assertFalse(names.isEmpty(), "no scenarios in " + DIR.toAbsolutePath());
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void scenario(String name) throws IOException {
        Path file = DIR.resolve(name);
        ScenarioFile scenario = ScenarioFile.parse(Files.readAllLines(file, StandardCharsets.UTF_8));
        ScenarioCommands commands = new ScenarioCommands();
        List<List<String>> outputs = new ArrayList<>();
        String mismatch = null;
        for (ScenarioFile.Block b : scenario.blocks()) {
            List<String> actual;
            try {
                actual = commands.run(b.command());
            } catch (RuntimeException e) {
                throw new AssertionError(name + ":" + b.line() + ": '" + b.command() + "' failed: " + e, e);
            }
            outputs.add(actual);
            if (mismatch == null) {
                mismatch = compare(name, b, ScenarioFile.displayed(actual));
            }
        }
        if (REWRITE) {
            Files.writeString(file, scenario.render(outputs), StandardCharsets.UTF_8);
        } else if (mismatch != null) {
            fail(mismatch + "\n(regenerate with -Dscenario.rewrite=true and review the diff)");
        }
        assertTrue(commands.mutated() || commands.violations().isEmpty(),
                name + " breaks a safety property without a deliberate mutation: " + commands.violations());
        if (commands.mutated()) {
            assertFalse(commands.violations().isEmpty(), name + " runs a mutation but shows no violation: it proves nothing");
        }
    }

    /** Null if {@code actual} is what the file expects, else where and how it differs. */
    static String compare(String name, ScenarioFile.Block b, List<String> actual) {
        if (b.expected() == null) {
            return name + ":" + b.line() + ": '" + b.command() + "' has no expected output";
        }
        if (b.expected().equals(actual)) {
            return null;
        }
        int i = 0;
        while (i < b.expected().size() && i < actual.size() && b.expected().get(i).equals(actual.get(i))) {
            i++;
        }
        int at = b.line() + 2 + i;
        return name + ":" + at + ": '" + b.command() + "' printed something else from its output line " + (i + 1) + " on"
                + "\n  expected: " + (i < b.expected().size() ? b.expected().get(i) : "(no more lines)")
                + "\n  actual:   " + (i < actual.size() ? actual.get(i) : "(no more lines)")
                + "\n--- whole actual output ---\n" + String.join("\n", actual);
    }
}
