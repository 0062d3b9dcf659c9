package io.raftkv.sim.scenario;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scenario format: what the parser reads, what the rewrite writes back, and how the runner reports errors. */
class ScenarioFileTest {

    private static final String FILE = """
            # what it shows

            cluster n1 n2
            ----
            n1 voter, election timeout 10 ticks
            n2 voter, election timeout 11 ticks

            # a comment
            campaign n1
            ----
            ok
            """;

    @Test
    void renderingTheExpectedOutputsGivesTheFileBack() {
        ScenarioFile f = ScenarioFile.parse(FILE.lines().toList());
        assertEquals(2, f.blocks().size());
        assertEquals(3, f.blocks().get(0).line());
        assertEquals(List.of("# what it shows", ""), f.blocks().get(0).prose());
        assertEquals(List.of("ok"), f.blocks().get(1).expected());
        assertEquals(FILE, f.render(List.of(f.blocks().get(0).expected(), List.of())));
    }

    @Test
    void aCommandWithoutOutputGetsOneOnRewriteAndStaysSeparateFromTheNext() {
        ScenarioFile f = ScenarioFile.parse(List.of("cluster n1", "tick", "status"));
        assertEquals(3, f.blocks().size());
        assertNull(f.blocks().get(1).expected());
        String rewritten = f.render(List.of(List.of("a"), List.of(), List.of("b")));
        assertEquals("cluster n1\n----\na\n\ntick\n----\nok\n\nstatus\n----\nb\n", rewritten);
        assertEquals(3, ScenarioFile.parse(rewritten.lines().toList()).blocks().size());
    }

    @Test
    void theRunnerNamesTheLineOfTheFirstDifference() {
        ScenarioFile f = ScenarioFile.parse(FILE.lines().toList());
        String report = ScenarioTest.compare("x.txt", f.blocks().get(0),
                List.of("n1 voter, election timeout 10 ticks", "n2 something else"));
        assertTrue(report.startsWith("x.txt:6: 'cluster n1 n2'"), report);
        assertNull(ScenarioTest.compare("x.txt", f.blocks().get(1), ScenarioFile.displayed(List.of())));
    }

    @Test
    void malformedCommandsAreRefusedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> ScenarioFile.parse(List.of("----")));
        ScenarioCommands c = new ScenarioCommands();
        assertThrows(IllegalArgumentException.class, () -> c.run("tick"), "cluster must come first");
        c.run("cluster n1 n2 n3");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.run("deliver Votes")).getMessage()
                .contains("neither a route"));
        assertThrows(IllegalArgumentException.class, () -> c.run("partition n1 | n2"), "n3 left out");
        assertThrows(IllegalArgumentException.class, () -> c.run("frobnicate n1"));
        assertThrows(IllegalArgumentException.class, () -> c.run("restart n1"), "n1 is running");
    }
}
