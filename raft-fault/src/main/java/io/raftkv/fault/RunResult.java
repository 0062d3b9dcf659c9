package io.raftkv.fault;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What one run found.
 *
 * @param problems      broken guarantees (each line names what and where); empty = the run passed
 * @param observations  what is reported but not required, e.g. lease reads that were not linearizable after the
 *                      leader was paused beyond the lease's clock-drift bound
 * @param linearizabilityViolated the checker refuted the linearizable reads, writes and CAS (with or without the
 *                      lease reads): what the mutation test expects
 * @param electionMillis time from "last fault healed and every node answers /status" to a leader every node
 *                      agrees on; -1 if none within the bound
 * @param dir           the run's directory (summary.txt; after a finding also history.jsonl and node logs)
 */
public record RunResult(String name, long seed, int nodes, int operations, Map<String, Long> operationsByOutcome,
                        Map<FaultKind, Integer> faults, int leaderPauses, long electionMillis,
                        boolean linearizabilityViolated, List<String> problems, List<String> observations,
                        Path dir) {
    public boolean ok() {
        return problems.isEmpty();
    }

    public String oneLine() {
        return String.format("%s seed %d: %d nodes, %d ops %s, faults %s (leader paused %d), leader %d ms after heal+ready: %s",
                name, seed, nodes, operations, operationsByOutcome, faults, leaderPauses, electionMillis,
                ok() ? (observations.isEmpty() ? "OK" : "OK with observations " + observations) : "PROBLEMS " + problems);
    }
}
