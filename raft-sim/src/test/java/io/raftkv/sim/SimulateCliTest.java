package io.raftkv.sim;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulateCliTest {

    private static String[] run(int expectedExit, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Simulate());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(out));
        int exit = cli.execute(args);
        assertEquals(expectedExit, exit, out.toString());
        return new String[]{out.toString()};
    }

    @Test
    void runsManySeedsAndPrintsTheSummary() {
        String out = run(0, "--nodes", "3", "--seeds", "20")[0];
        assertTrue(out.contains("schedules=20") && out.contains("violations=0") && out.contains("schedules/s="), out);
        assertTrue(out.contains("elections=") && out.contains("commits=") && out.contains("faults="), out);
    }

    @Test
    void printsTheTraceOfOneSeed() {
        String out = run(0, "--nodes", "3", "--seed", "4", "--trace")[0];
        assertTrue(out.contains("schedule seed=4"), out);
        assertTrue(out.contains("became leader") && out.contains("send n") && out.contains("violations=0"), out);
    }

    @Test
    void reportsAMutationAsAFailure() {
        String out = run(1, "--nodes", "3", "--seeds", "500", "--mutation", "VOTE_TWICE_PER_TERM")[0];
        assertTrue(out.contains("violations=1") && out.contains("ELECTION_SAFETY") && out.contains("replay shrunk"), out);
    }

    @Test
    void sessionRunsAndTheirReplayCommand() {
        String ok = run(0, "--nodes", "3", "--seeds", "10", "--sessions")[0];
        assertTrue(ok.contains("violations=0"), ok);
        String broken = run(1, "--nodes", "3", "--seeds", "50", "--sessions", "--session-mutation", "SKIP_DEDUP")[0];
        assertTrue(broken.contains("EXACTLY_ONCE"), broken);
        assertTrue(broken.contains("add --sessions --session-mutation SKIP_DEDUP to the Simulate lines"), "the report must"
                + " name the options a replay needs: " + broken);
    }

    @Test
    void rejectsBadArguments() {
        run(2, "--nodes", "three");
        run(2, "--nodes", "3", "--session-mutation", "SKIP_DEDUP");
    }
}
