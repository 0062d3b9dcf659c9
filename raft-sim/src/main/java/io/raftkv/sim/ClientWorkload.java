package io.raftkv.sim;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.Proposal;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated client. During the fault phase it proposes commands at random times, mostly to the leader and
 * sometimes to a node that is not leader, which hands them to the leader it knows as one batch
 * ({@code RaftNode.forward}) or, knowing none, refuses them. Every command is unique, so the checker can tell
 * that none took effect twice. After the heal
 * it checks liveness: a leader that has committed an entry of its own term must appear within
 * {@link SimConfig#leaderBoundTicks()}; then it submits {@link SimConfig#postHealProposals()} proposals, and each
 * must be applied on every node within {@link SimConfig#commitBoundTicks()}.
 */
final class ClientWorkload {

    private enum Phase { FAULTS, AWAIT_LEADER, PROPOSING, AWAIT_COMMIT, DONE }

    private record Accepted(String command, Proposal proposal, long time) {
    }

    private final Simulation sim;
    private final List<SimNode> nodes;
    private final SimConfig config;
    private final SplittableRandom random;
    private Phase phase = Phase.FAULTS;
    private long commandSeq;
    private long accepted;
    private long healTime;
    private long stableSince = -1;
    private long deadline;
    private int toPropose;
    private final List<Accepted> mustCommit = new ArrayList<>();
    /** The stable leader's configuration after the heal: its members must apply every post-heal proposal. */
    private Configuration members;

    /** Sizes of forwarded batches: a stream of its own (see {@link #forward}). */
    private final SplittableRandom batchSizes;

    ClientWorkload(Simulation sim, List<SimNode> nodes, SimConfig config, SplittableRandom random,
                   SplittableRandom batchSizes) {
        this.sim = sim;
        this.nodes = nodes;
        this.config = config;
        this.random = random;
        this.batchSizes = batchSizes;
    }

    long accepted() {
        return accepted;
    }

    boolean done() {
        return phase == Phase.DONE;
    }

    /** Time of the first proposal, or -1 if the client stays silent during faults. */
    long firstProposalTime() {
        return config.proposalsPerTick() <= 0 ? -1 : nextGap();
    }

    private long nextGap() {
        // Mean gap of 1/rate ticks, uniform over [0, 2/rate]; at least one unit so time moves.
        double meanUnits = Simulation.TICK / config.proposalsPerTick();
        return 1 + (long) (random.nextDouble() * 2 * meanUnits);
    }

    /** A Propose event fired; returns the delay to the next one, or -1 for none. */
    long onPropose() {
        if (phase == Phase.FAULTS) {
            proposeDuringFaults();
            return nextGap();
        }
        if (phase == Phase.PROPOSING) {
            SimNode leader = sim.leader();
            if (leader != null && submit(leader, true)) {
                toPropose--;
                if (toPropose == 0) {
                    phase = Phase.AWAIT_COMMIT;
                    deadline = sim.now() + (long) config.commitBoundTicks() * Simulation.TICK;
                    return -1;
                }
            }
            return 1 + random.nextInt(2 * Simulation.TICK);
        }
        return -1;
    }

    private void proposeDuringFaults() {
        SimNode leader = sim.leader();
        if (random.nextInt(4) == 0) {
            // A linearizable read on any live node (followers forward it to the leader).
            List<SimNode> up = new ArrayList<>();
            for (SimNode n : nodes) {
                if (n.isUp()) {
                    up.add(n);
                }
            }
            if (!up.isEmpty()) {
                sim.reads().request(up.get(random.nextInt(up.size())));
            }
        }
        if (random.nextInt(4) == 0) {
            // A lease read on a node that thinks it leads — possibly a deposed leader that does not know it yet.
            List<SimNode> leaders = new ArrayList<>();
            for (SimNode n : nodes) {
                if (n.isUp() && n.role() == Role.LEADER) {
                    leaders.add(n);
                }
            }
            if (!leaders.isEmpty()) {
                sim.reads().leaseRead(leaders.get(random.nextInt(leaders.size())));
            }
        }
        if (random.nextDouble() < config.nonLeaderRatio()) {
            List<SimNode> others = new ArrayList<>();
            for (SimNode n : nodes) {
                if (n.isUp() && n.role() != Role.LEADER) {
                    others.add(n);
                }
            }
            if (!others.isEmpty()) {
                submit(others.get(random.nextInt(others.size())), false);
                return;
            }
        }
        if (leader != null) {
            submit(leader, false);
        }
    }

    /** Submits one command; returns true if a leader accepted it. */
    private boolean submit(SimNode node, boolean mustCommitIt) {
        boolean leader = node.role() == Role.LEADER;
        if (!leader && !mustCommitIt) {
            return forward(node);
        }
        String command = "c" + (++commandSeq);
        byte[] bytes = commandBytes(command);
        registerUnique(bytes);
        try {
            Proposal p = node.propose(bytes);
            if (!leader) {
                throw sim.violation(Invariant.CORE_CONTRACT, node.id + " is " + node.role().lowerName()
                        + " but accepted proposal " + command + " at " + p.index() + "@" + p.term());
            }
            accepted++;
            if (mustCommitIt) {
                mustCommit.add(new Accepted(command, p, sim.now()));
            }
            return true;
        } catch (NotLeaderException e) {
            if (leader) {
                throw sim.violation(Invariant.CORE_CONTRACT, node.id + " is leader but refused " + command + ": " + e.getMessage());
            }
            trace(command + " refused by " + node.id + ": " + e.getMessage());
            return false;
        } catch (ProposalRejectedException e) {
            trace(command + " rejected by " + node.id + ": " + e.getMessage());
            return false;
        }
    }

    /**
     * A client whose commands reach a follower: the follower hands them to the leader it knows as one batch of 1-3
     * (sizes from a stream of their own, so that the schedule's other draws do not move). Without a known leader
     * it refuses them.
     */
    private boolean forward(SimNode node) {
        int size = 1 + batchSizes.nextInt(3);
        List<byte[]> commands = new ArrayList<>();
        for (int k = 0; k < size; k++) {
            byte[] command = commandBytes("c" + (++commandSeq));
            registerUnique(command);
            commands.add(command);
        }
        try {
            node.forward(commands);
            accepted += size;
            return true;
        } catch (NotLeaderException e) {
            trace("c" + (commandSeq - size + 1) + ".." + "c" + commandSeq + " refused by " + node.id + ": "
                    + e.getMessage());
            return false;
        }
    }

    /** The fault phase is over: start watching for a leader. */
    void onHeal() {
        phase = Phase.AWAIT_LEADER;
        healTime = sim.now();
        deadline = healTime + (long) config.leaderBoundTicks() * Simulation.TICK;
    }

    /**
     * Called after every step once healed: advances the liveness phases and fails the run when a bound passes.
     * Returns the delay of a Propose event to schedule, or -1.
     */
    long afterStep() {
        switch (phase) {
            case AWAIT_LEADER -> {
                SimNode leader = stableLeader();
                if (leader == null) {
                    stableSince = -1;
                } else if (stableSince < 0) {
                    stableSince = sim.now();
                }
                // A leader is trusted only after everyone has followed it for two election timeouts: a leader left
                // over from before the heal may still step down when its check-quorum window (which straddles the
                // heal) closes, and a proposal it accepted may then be lost — legitimately (thesis §6.2).
                if (leader != null && sim.now() - stableSince >= 2L * config.raftOptions().electionTimeoutTicks() * Simulation.TICK) {
                    trace("liveness: " + leader.id + " leads term " + leader.raft().currentTerm() + ", stable "
                            + Tracer.formatTime(sim.now() - healTime) + " ticks after the heal");
                    if (config.postHealProposals() == 0) {
                        phase = Phase.DONE;
                        return -1;
                    }
                    members = leader.raft().configuration();
                    phase = Phase.PROPOSING;
                    toPropose = config.postHealProposals();
                    deadline = sim.now() + (long) config.commitBoundTicks() * Simulation.TICK;
                    return 1;
                }
                if (sim.now() > deadline) {
                    throw sim.violation(Invariant.LIVENESS, "no stable leader " + config.leaderBoundTicks()
                            + " ticks after the heal (" + describeRoles() + ")");
                }
            }
            case PROPOSING -> {
                if (sim.now() > deadline) {
                    throw sim.violation(Invariant.LIVENESS, "no leader accepted the post-heal proposals within "
                            + config.commitBoundTicks() + " ticks (" + toPropose + " still to submit)");
                }
            }
            case AWAIT_COMMIT -> {
                String missing = firstMissing();
                if (missing == null) {
                    trace("liveness: all " + mustCommit.size() + " post-heal proposals applied on every node");
                    phase = Phase.DONE;
                } else if (sim.now() > deadline) {
                    throw sim.violation(Invariant.LIVENESS, "post-heal proposal not applied within "
                            + config.commitBoundTicks() + " ticks: " + missing);
                }
            }
            default -> {
            }
        }
        return -1;
    }

    /**
     * The leader every live node agrees on (same term, everyone else a follower naming it), provided it has committed
     * an entry of its own term (§5.4.2, so its commit index is current); null if there is none.
     */
    private SimNode stableLeader() {
        SimNode leader = sim.leader();
        if (leader == null) {
            return null;
        }
        long term = leader.raft().currentTerm();
        long commit = leader.raft().commitIndex();
        if (commit == 0 || leader.raft().logTerm(commit) != term) {
            return null;
        }
        // A leader that removed itself leads only until the change commits (thesis §4.2.2): not the final one. A
        // joint configuration is not final either: the leader moves on to its C_new (§6).
        Configuration configuration = leader.raft().configuration();
        if (!configuration.isVoter(leader.id) || configuration.isJoint()) {
            return null;
        }
        for (SimNode n : nodes) {
            // Servers outside the configuration (spares never added, removed servers) follow no one; they must
            // merely not disrupt the members (thesis §4.2.3), which the members' stability shows.
            if (n != leader && configuration.contains(n.id) && (!n.isUp() || n.raft().currentTerm() != term || n.role() != Role.FOLLOWER
                    || !leader.id.equals(n.raft().leaderId()))) {
                return null;
            }
        }
        return leader;
    }

    private String describeRoles() {
        StringBuilder sb = new StringBuilder();
        for (SimNode n : nodes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(n.id).append(' ');
            sb.append(n.isUp() ? n.role().lowerName() + " t" + n.raft().currentTerm() + " leader " + n.raft().leaderId() : "down");
        }
        return sb.toString();
    }

    /** Describes the first (proposal, node) pair not yet applied, or null if all are applied everywhere. */
    private String firstMissing() {
        for (Accepted a : mustCommit) {
            long idx = a.proposal().index();
            for (SimNode n : nodes) {
                if (!n.isUp() || !members.contains(n.id)) {
                    continue; // "every live member": nodes are all restarted at the heal, so none should be down
                }
                // Same index and term means the same entry (Log Matching); below the first index it was compacted.
                boolean ok = n.lastApplied() >= idx && (idx < n.raft().firstLogIndex()
                        || idx <= n.raft().lastLogIndex() && n.raft().logTerm(idx) == a.proposal().term());
                if (!ok) {
                    return a.command() + " at " + idx + "@" + a.proposal().term() + " on " + n.id + " (applied "
                            + n.lastApplied() + ", commit " + n.raft().commitIndex() + ", last log "
                            + n.raft().lastLogIndex() + "@" + n.raft().logTerm(n.raft().lastLogIndex()) + ")";
                }
            }
        }
        return null;
    }

    /**
     * What command {@code label} sends: the label's bytes, or the test's workload's next command (drawn from the
     * workload's own stream, so that the schedule stays the one the seed gives).
     */
    private byte[] commandBytes(String label) {
        WorkloadRun workload = sim.workload();
        return workload == null ? label.getBytes(StandardCharsets.US_ASCII) : workload.nextCommand();
    }

    /**
     * The built-in commands are unique, so the checker can tell one applied twice (FORWARDING). A test's workload
     * may send the same command twice on purpose: its commands are not registered.
     */
    private void registerUnique(byte[] command) {
        if (sim.workload() == null) {
            sim.checker().onSubmittedUnique(command);
        }
    }

    private void trace(String what) {
        if (sim.tracer().on()) {
            sim.tracer().system(sim.now(), "client", what);
        }
    }
}
