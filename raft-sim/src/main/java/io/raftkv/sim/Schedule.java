package io.raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Everything that makes one simulated run different from another: the seed (which drives the network, the
 * clients and every node's randomness), the cluster size, the network's initial quality, the faults, when the
 * fault phase ends (the network heals and every crashed node restarts, then liveness is checked), and an
 * optional hard stop that the shrinker uses to cut a run short after a safety violation.
 *
 * @param seed           drives every random choice of the run
 * @param nodes          cluster size
 * @param initialNetwork network quality until a {@link Fault.LinkQuality} changes it
 * @param faults         faults in tick order
 * @param faultTicks     tick at which faults stop: heal everything and start the liveness phase
 * @param maxTicks       hard stop (Long.MAX_VALUE for none); below faultTicks, liveness is not checked
 * @param flowControl    overrides of the nodes' batching and pipelining limits, or null to keep the config's
 * @param membership     spare servers and how learners are promoted, or null for no membership changes
 * @param snapshots      how the nodes take and send snapshots (§7), or null for never
 */
public record Schedule(long seed, int nodes, NetworkQuality initialNetwork, List<ScheduledFault> faults,
                       long faultTicks, long maxTicks, FlowControl flowControl, Membership membership, Snapshots snapshots) {

    /** A schedule without spare servers and without snapshots. */
    public Schedule(long seed, int nodes, NetworkQuality initialNetwork, List<ScheduledFault> faults,
                    long faultTicks, long maxTicks, FlowControl flowControl) {
        this(seed, nodes, initialNetwork, faults, faultTicks, maxTicks, flowControl, null, null);
    }

    /**
     * Membership changes (thesis §4): {@code spares} extra servers run from the start but are not members (empty
     * bootstrap configuration) until a change adds them (their ids follow the members'); with
     * {@code autoPromote} false the leader never promotes a caught-up learner by itself
     * ({@code RaftOptions.autoPromoteLearners}), so only explicit Promote faults do.
     */
    public record Membership(int spares, boolean autoPromote) {
        public Membership {
            if (spares < 0) {
                throw new IllegalArgumentException("spares must be >= 0");
            }
        }

        @Override
        public String toString() {
            return "spares=" + spares + (autoPromote ? "" : " autoPromote=false");
        }
    }

    /** Extra servers that are not members at the start. */
    public int spares() {
        return membership == null ? 0 : membership.spares();
    }

    /**
     * Log compaction (§7): each node snapshots its state machine whenever it has applied {@code every} entries
     * since its last snapshot, compacts its log up to there minus a random trailing margin of at most
     * {@code maxMargin} entries, and a leader sends snapshots to followers in chunks of {@code chunkBytes}.
     */
    public record Snapshots(int every, int maxMargin, int chunkBytes) {
        public Snapshots {
            if (every < 1 || maxMargin < 0 || chunkBytes < 1) {
                throw new IllegalArgumentException("bad snapshot policy");
            }
        }

        @Override
        public String toString() {
            return "snapshotEvery=" + every + " maxMargin=" + maxMargin + " chunkBytes=" + chunkBytes;
        }
    }

    /**
     * Small batching/pipelining limits. With them an AppendEntries carries a few entries, so followers
     * acknowledge a leader's log piecemeal — which is what lets an entry of an earlier term reach a majority
     * before the new leader's no-op does (the precondition of Figure 8, §5.4.2).
     */
    public record FlowControl(long maxAppendBytes, int maxInflightMessages) {
        @Override
        public String toString() {
            return "maxAppendBytes=" + maxAppendBytes + " maxInflight=" + maxInflightMessages;
        }
    }

    public Schedule {
        faults = List.copyOf(faults);
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1");
        }
    }

    public Schedule withFaults(List<ScheduledFault> kept) {
        return new Schedule(seed, nodes, initialNetwork, kept, faultTicks, maxTicks, flowControl, membership, snapshots);
    }

    public Schedule withFaultTicks(long ticks) {
        return new Schedule(seed, nodes, initialNetwork, faults, ticks, maxTicks, flowControl, membership, snapshots);
    }

    public Schedule withMaxTicks(long ticks) {
        return new Schedule(seed, nodes, initialNetwork, faults, faultTicks, ticks, flowControl, membership, snapshots);
    }

    /** This schedule restricted to the faults whose ids are in {@code ids} (for replaying a shrunk schedule). */
    public Schedule keepOnly(Set<Integer> ids) {
        List<ScheduledFault> kept = new ArrayList<>();
        for (ScheduledFault f : faults) {
            if (ids.contains(f.id())) {
                kept.add(f);
            }
        }
        return withFaults(kept);
    }

    public boolean checksLiveness() {
        return maxTicks > faultTicks;
    }

    /** The command-line arguments that replay exactly this schedule. */
    public String replayArguments() {
        StringBuilder sb = new StringBuilder("--nodes " + nodes + " --seed " + seed);
        sb.append(" --keep-faults ");
        if (faults.isEmpty()) {
            sb.append("none");
        }
        for (int i = 0; i < faults.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(faults.get(i).id());
        }
        sb.append(" --fault-ticks ").append(faultTicks);
        if (maxTicks != Long.MAX_VALUE) {
            sb.append(" --max-ticks ").append(maxTicks);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("schedule seed=").append(seed).append(" nodes=").append(nodes)
                .append(" network=[").append(initialNetwork).append("] faultTicks=").append(faultTicks);
        if (maxTicks != Long.MAX_VALUE) {
            sb.append(" maxTicks=").append(maxTicks);
        }
        if (flowControl != null) {
            sb.append(' ').append(flowControl);
        }
        if (membership != null) {
            sb.append(' ').append(membership);
        }
        if (snapshots != null) {
            sb.append(' ').append(snapshots);
        }
        sb.append(" faults=").append(faults.size()).append('\n');
        for (ScheduledFault f : faults) {
            sb.append("  ").append(f).append('\n');
        }
        return sb.toString();
    }
}
