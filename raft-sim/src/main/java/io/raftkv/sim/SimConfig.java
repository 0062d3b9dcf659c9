package io.raftkv.sim;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.core.session.SessionStateMachine;
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
 * @param sessions          client sessions (thesis §6.3): each node's state machine is wrapped in a
 *                          {@link SessionStateMachine} and session clients resend writes whose answer they lost;
 *                          null for none (the default: runs without sessions are what they always were)
 */
public record SimConfig(int nodes, RaftOptions raftOptions, Supplier<? extends StateMachine> stateMachines,
                        int minFaultTicks, int maxFaultTicks, int leaderBoundTicks, int commitBoundTicks,
                        int postHealProposals, double proposalsPerTick, double nonLeaderRatio, Sessions sessions) {

    /** Without sessions. */
    public SimConfig(int nodes, RaftOptions raftOptions, Supplier<? extends StateMachine> stateMachines,
                     int minFaultTicks, int maxFaultTicks, int leaderBoundTicks, int commitBoundTicks,
                     int postHealProposals, double proposalsPerTick, double nonLeaderRatio) {
        this(nodes, raftOptions, stateMachines, minFaultTicks, maxFaultTicks, leaderBoundTicks, commitBoundTicks,
                postHealProposals, proposalsPerTick, nonLeaderRatio, null);
    }

    /**
     * The session clients of a run (thesis §6.3). Each client registers a session, then keeps up to
     * {@code window} writes in flight, each a {@link io.raftkv.core.session.SessionFrame.Invoke} sent to the leader
     * or through a follower. An answer is lost with probability {@code answerLoss}; a write without an answer
     * after {@code retryTicks} is resent with the same (session, seq) — to whoever leads then. Time stamps are the
     * simulated time (one unit = one millisecond of the session timeout).
     *
     * @param clients      session clients
     * @param window       writes a client keeps in flight (its acknowledgement is the lowest of them)
     * @param answerLoss   probability that an answer never reaches its client
     * @param retryTicks   how long a client waits for an answer before resending
     * @param stepsPerTick mean client steps per tick (each step sends what is due)
     * @param options      the session table's options (a {@code SessionOptions.UnsafeMutation} for mutation tests)
     */
    public record Sessions(int clients, int window, double answerLoss, int retryTicks, double stepsPerTick,
                           SessionOptions options) {
        public Sessions {
            if (clients < 1 || window < 1 || retryTicks < 1 || stepsPerTick <= 0 || answerLoss < 0 || answerLoss >= 1) {
                throw new IllegalArgumentException("bad session workload: clients " + clients + ", window " + window
                        + ", answerLoss " + answerLoss + ", retryTicks " + retryTicks + ", stepsPerTick " + stepsPerTick);
            }
            java.util.Objects.requireNonNull(options, "options");
        }

        /** Two clients, two writes in flight each, a third of the answers lost, resend after 8 ticks. */
        public static Sessions defaults() {
            return new Sessions(2, 2, 0.33, 8, 0.5, SessionOptions.defaults());
        }

        public Sessions withOptions(SessionOptions o) {
            return new Sessions(clients, window, answerLoss, retryTicks, stepsPerTick, o);
        }
    }

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
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio, sessions);
    }

    public SimConfig withMutation(RaftOptions.UnsafeMutation mutation) {
        return withRaftOptions(raftOptions.withUnsafeMutation(mutation));
    }

    /** Use your own state machine: every node (and every restart) gets a fresh one from {@code supplier}. */
    public SimConfig withStateMachine(Supplier<? extends StateMachine> supplier) {
        return new SimConfig(nodes, raftOptions, supplier, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio, sessions);
    }

    /** Client sessions in every run (thesis §6.3); null for none. */
    public SimConfig withSessions(Sessions s) {
        return new SimConfig(nodes, raftOptions, stateMachines, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio, s);
    }

    /** A fresh state machine for a node: {@link #stateMachines()}'s, in a session table when sessions are on. */
    public StateMachine newStateMachine() {
        StateMachine inner = stateMachines.get();
        return sessions == null ? inner : new SessionStateMachine(inner, sessions.options());
    }

    public SimConfig withNodes(int n) {
        return new SimConfig(n, raftOptions, stateMachines, minFaultTicks, maxFaultTicks, leaderBoundTicks,
                commitBoundTicks, postHealProposals, proposalsPerTick, nonLeaderRatio, sessions);
    }

    public SimConfig withFaultTicks(int min, int max) {
        return new SimConfig(nodes, raftOptions, stateMachines, min, max, leaderBoundTicks, commitBoundTicks,
                postHealProposals, proposalsPerTick, nonLeaderRatio, sessions);
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
                commitBoundTicks, postHealProposals, perTick, toNonLeaders, sessions);
    }
}
