package io.raftkv.sim;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link Workload} exercised: applied command results and query answers, counted by kind (each log index
 * once), and how many state digests were compared across servers. Adds up over runs.
 */
public final class WorkloadTally {
    private final TreeMap<String, Long> commands = new TreeMap<>();
    private final TreeMap<String, Long> queries = new TreeMap<>();
    private long proposed;
    private long digestsCompared;

    void countProposed(long accepted) {
        proposed += accepted;
    }

    void applied(String kind) {
        commands.merge(kind, 1L, Long::sum);
    }

    void answered(String kind) {
        queries.merge(kind, 1L, Long::sum);
    }

    void digestCompared() {
        digestsCompared++;
    }

    /** Adds {@code other}'s counts to this one's. */
    public void add(WorkloadTally other) {
        other.commands.forEach((k, v) -> commands.merge(k, v, Long::sum));
        other.queries.forEach((k, v) -> queries.merge(k, v, Long::sum));
        proposed += other.proposed;
        digestsCompared += other.digestsCompared;
    }

    /** Applied commands by the kind of their result (each index once). */
    public Map<String, Long> commands() {
        return Collections.unmodifiableMap(commands);
    }

    /** Query answers by kind. */
    public Map<String, Long> queries() {
        return Collections.unmodifiableMap(queries);
    }

    /** Commands a leader accepted. */
    public long proposed() {
        return proposed;
    }

    /** Digests compared with another node's at the same applied index. */
    public long digestsCompared() {
        return digestsCompared;
    }

    /**
     * Fails (an {@link AssertionError} with the whole tally) unless commands of every kind given were applied: how a
     * test proves that its workload reached each path of the state machine, not only its errors.
     */
    public WorkloadTally assertApplied(String... kinds) {
        return assertSeen("applied", commands, kinds);
    }

    /** As {@link #assertApplied}, for query answers. */
    public WorkloadTally assertAnswered(String... kinds) {
        return assertSeen("answered", queries, kinds);
    }

    private WorkloadTally assertSeen(String what, Map<String, Long> counts, String... kinds) {
        for (String kind : kinds) {
            if (counts.getOrDefault(kind, 0L) == 0) {
                throw new AssertionError("nothing of kind '" + kind + "' " + what + "; " + report());
            }
        }
        return this;
    }

    /** One line per kind, for a test's output. */
    public String report() {
        StringBuilder sb = new StringBuilder("workload: ").append(proposed).append(" commands accepted, ")
                .append(commands.values().stream().mapToLong(Long::longValue).sum()).append(" applied, ")
                .append(queries.values().stream().mapToLong(Long::longValue).sum()).append(" queries answered, ")
                .append(digestsCompared).append(" state digests compared across servers\n");
        commands.forEach((k, v) -> sb.append("  command  ").append(String.format("%8d", v)).append("  ").append(k).append('\n'));
        queries.forEach((k, v) -> sb.append("  query    ").append(String.format("%8d", v)).append("  ").append(k).append('\n'));
        return sb.toString();
    }

    @Override
    public String toString() {
        return report();
    }
}
