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
 * @param counters      what the counter workload found, or null if the run had none
 * @param bank          what the bank workload found, or null if the run had none
 */
public record RunResult(String name, long seed, int nodes, int operations, Map<String, Long> operationsByOutcome,
                        Map<FaultKind, Integer> faults, int leaderPauses, long electionMillis,
                        boolean linearizabilityViolated, List<String> problems, List<String> observations,
                        Path dir, CounterResult counters, BankResult bank) {
    public boolean ok() {
        return problems.isEmpty();
    }

    /**
     * The counter workload's end: the increments the clients were told succeeded, and what the counters hold.
     *
     * @param sessions     whether the increments ran in client sessions
     * @param acknowledged increments answered 200, summed over the counters
     * @param applied      the counters' final values, summed ({@code -1} if they could not be read)
     * @param excess       summed over the counters, how far each ended above its acknowledged count: increments
     *                     applied twice (0 with sessions, or the run has a problem)
     * @param resends      tries resent after an unknown outcome
     * @param inDoubt      increments whose outcome no server could tell at the end
     */
    public record CounterResult(boolean sessions, long acknowledged, long applied, long excess, long resends,
                                long inDoubt) {
        @Override
        public String toString() {
            return (sessions ? "with sessions: " : "WITHOUT sessions: ") + acknowledged + " increments acknowledged, "
                    + applied + " applied, " + excess + " applied twice, " + resends + " resends, " + inDoubt
                    + " in doubt";
        }
    }

    /**
     * The bank workload's end (see {@link BankWorkload}).
     *
     * @param applied     transfers the cluster told their client moved the money
     * @param declined    transfers it told were refused for short funds (logged, nothing moved)
     * @param notApplied  transfers every try of which certainly failed (503, refused connection)
     * @param inDoubt     transfers whose outcome no answer told by the end (at most these may be in the log unasked)
     * @param resends     tries whose outcome was unknown, so the transfer was resent with the same id
     * @param alreadyApplied resends the log's primary key refused because an earlier try had applied: each would
     *                    have moved the money twice without it
     * @param reads       reads of all balances that were answered
     * @param tornReads   answered reads whose total or account count was wrong, or that saw a negative balance
     * @param staleReads  answered reads that missed a transfer acknowledged, or a state read, before they started
     */
    public record BankResult(long applied, long declined, long notApplied, long inDoubt, long resends,
                             long alreadyApplied, long reads, long tornReads, long staleReads) {
        @Override
        public String toString() {
            return applied + " transfers applied, " + declined + " declined, " + notApplied + " not applied, "
                    + inDoubt + " in doubt, " + resends + " resends (" + alreadyApplied + " refused as already applied); "
                    + reads + " reads, " + tornReads + " torn, "
                    + staleReads + " stale";
        }
    }

    public String oneLine() {
        return String.format("%s seed %d: %d nodes, %d ops %s, faults %s (leader paused %d), leader %d ms after heal+ready%s: %s",
                name, seed, nodes, operations, operationsByOutcome, faults, leaderPauses, electionMillis,
                (counters == null ? "" : ", counters " + counters) + (bank == null ? "" : ", bank " + bank),
                ok() ? (observations.isEmpty() ? "OK" : "OK with observations " + observations) : "PROBLEMS " + problems);
    }
}
