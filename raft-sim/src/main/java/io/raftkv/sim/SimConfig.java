package io.raftkv.sim;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.statemachine.StateMachine;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * How the simulator runs: cluster size, the Raft options every node gets, the state machine each node (and each
 * restart of a node) applies to, how long the fault phase lasts, the liveness bounds, and the client load.
 *
 * @param nodes             cluster size (node ids n1..nN)
 * @param raftOptions       options of every RaftNode (an {@link RaftOptions.UnsafeMutation} for mutation tests)
 * @param stateMachines     makes a fresh state machine for a node at start and at every restart
 * @param minFaultTicks     shortest fault phase a generated schedule has
 * @param maxFaultTicks     longest fault phase a generated schedule has
 * @param leaderBoundTicks  after the heal, a leader that has committed an entry of its term must exist within this
 * @param commitBoundTicks  after the post-heal proposals, each must be applied on every node within this
 * @param postHealProposals proposals the client submits after the heal (each must commit everywhere)
 * @param proposalsPerTick  mean client proposals per tick during the fault phase
 * @param nonLeaderRatio    share of proposals sent to a non-leader, which forwards them to the leader it knows
 *                          (or refuses them, knowing none)
 */
public record SimConfig(int nodes, RaftOptions raftOptions, Supplier<? extends StateMachine> stateMachines,
                        int minFaultTicks, int maxFaultTicks, int leaderBoundTicks, int commitBoundTicks,
                        int postHealProposals, double proposalsPerTick, double nonLeaderRatio) {

    public SimConfig {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be in [1, 9], got " + nodes);
        }
        Objects.requireNonNull(raftOptions, "raftOptions");
        Objects.requireNonNull(stateMachines, "stateMachines");
        if (minFaultTicks < 0 || maxFaultTicks < minFaultTicks) {
            throw new IllegalArgumentException("fault ticks must satisfy 0 <= min <= max");
        }
        if (leaderBoundTicks < 1 || commitBoundTicks < 1 || postHealProposals < 0) {
            throw new IllegalArgumentException("liveness bounds must be positive");
        }
        if (proposalsPerTick < 0 || nonLeaderRatio < 0 || nonLeaderRatio > 1) {
            throw new IllegalArgumentException("bad workload rates");
        }
    }

    /**
     * Defaults: 150–250 ticks of faults with the default RaftOptions (election timeout 10 ticks), then a leader
     * within 10 election timeouts and three proposals committed everywhere within 10 more; the client proposes
     * every other tick on average, one in ten through a non-leader. The state machine is {@link RecordingStateMachine}.
     */
    public static SimConfig defaults(int nodes) {
        RaftOptions options = RaftOptions.defaults();
        int et = options.electionTimeoutTicks();
        return new SimConfig(nodes, options, RecordingStateMachine::new, 150, 250, 10 * et, 10 * et, 3, 0.5, 0.1);
    }

    public SimConfig withRaftOptions(RaftOptions options) {
        return new SimConfig(nodes, options, stateMachines, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio);
    }

    public SimConfig withMutation(RaftOptions.UnsafeMutation mutation) {
        return withRaftOptions(raftOptions.withUnsafeMutation(mutation));
    }

    /** Use your own state machine: every node (and every restart) gets a fresh one from {@code supplier}. */
    public SimConfig withStateMachine(Supplier<? extends StateMachine> supplier) {
        return new SimConfig(nodes, raftOptions, supplier, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio);
    }

    public SimConfig withNodes(int n) {
        return new SimConfig(n, raftOptions, stateMachines, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio);
    }

    public SimConfig withFaultTicks(int min, int max) {
        return new SimConfig(nodes, raftOptions, stateMachines, min, max, leaderBoundTicks, commitBoundTicks,
                postHealProposals, proposalsPerTick, nonLeaderRatio);
    }

    /**
     * Other liveness bounds: a state machine whose snapshots are large (a database file) needs longer to bring a
     * new or lagging server up to date over the simulated network's small InstallSnapshot chunks.
     */
    public SimConfig withLivenessBounds(int leaderTicks, int commitTicks) {
        return new SimConfig(nodes, raftOptions, stateMachines, minFaultTicks, maxFaultTicks, leaderTicks, commitTicks,
                postHealProposals, proposalsPerTick, nonLeaderRatio);
    }

    public SimConfig withWorkload(double perTick, double toNonLeaders) {
        return new SimConfig(nodes, raftOptions, stateMachines, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, perTick, toNonLeaders);
    }
}
