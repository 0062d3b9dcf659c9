package io.raftkv.sim;

import io.raftkv.core.Proposal;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.cluster.MembershipChange;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Turns a {@link Fault} into actions on the simulated nodes and network. */
final class FaultInjector {
    private final Simulation sim;
    private final List<SimNode> nodes;
    private final SimNetwork network;
    private long injected;
    /** Faults armed to fire after the next election, in arming order. */
    private final List<Fault.AfterNextElection> armed = new ArrayList<>();
    /** Faults armed to fire after a leader's next commit, in arming order. */
    private final List<Fault.AfterNextCommit> armedOnCommit = new ArrayList<>();

    FaultInjector(Simulation sim, List<SimNode> nodes, SimNetwork network) {
        this.sim = sim;
        this.nodes = nodes;
        this.network = network;
    }

    long injected() {
        return injected;
    }

    void inject(ScheduledFault scheduled) {
        Fault fault = scheduled.fault();
        String effect = apply(fault);
        if (effect != null) {
            injected++;
        }
        if (sim.tracer().on()) {
            sim.tracer().system(sim.now(), "fault", scheduled + (effect == null ? " (no effect)" : effect.isEmpty() ? "" : " -> " + effect));
        }
        if (sim.events().on()) {
            sim.events().fault(scheduled + (effect == null ? " (no effect)" : effect.isEmpty() ? "" : " -> " + effect), network);
        }
    }

    /** The fault phase is over: armed faults never fire. */
    void disarm() {
        armed.clear();
        armedOnCommit.clear();
    }

    /** A leader's commit index advanced: fire the faults armed for that moment. */
    void onLeaderCommit(SimNode leader) {
        if (armedOnCommit.isEmpty()) {
            return;
        }
        List<Fault.AfterNextCommit> due = new ArrayList<>(armedOnCommit);
        armedOnCommit.clear();
        for (Fault.AfterNextCommit a : due) {
            sim.scheduleFault(a.delay(), a.then());
        }
    }

    /** A node became leader: fire the faults armed for that moment (each after its delay). */
    void onNewLeader(SimNode leader) {
        if (armed.isEmpty()) {
            return;
        }
        List<Fault.AfterNextElection> due = new ArrayList<>(armed);
        armed.clear();
        for (Fault.AfterNextElection a : due) {
            sim.scheduleFault(a.delay(), a.then());
        }
    }

    /** Returns what it did ("" if nothing worth saying), or null if the fault had nothing to act on. */
    private String apply(Fault fault) {
        if (fault instanceof Fault.AfterNextElection a) {
            armed.add(a);
            return "armed";
        }
        if (fault instanceof Fault.AfterNextCommit a) {
            armedOnCommit.add(a);
            return "armed";
        }
        if (fault instanceof Fault.Steps s) {
            StringBuilder effects = new StringBuilder();
            boolean any = false;
            for (Fault step : s.steps()) {
                String e = apply(step);
                any |= e != null;
                effects.append(effects.length() == 0 ? "" : "; ").append(e == null ? "no effect" : e.isEmpty() ? "done" : e);
            }
            return any ? effects.toString() : null;
        }
        if (fault instanceof Fault.Crash c) {
            SimNode target = resolve(c.target());
            if (target == null || !target.isUp()) {
                return null;
            }
            target.crash(c.point());
            return target.id;
        }
        if (fault instanceof Fault.Restart) {
            SimNode longest = null;
            for (SimNode n : nodes) {
                if (!n.isUp() && (longest == null || n.downSince() < longest.downSince())) {
                    longest = n;
                }
            }
            if (longest == null) {
                return null;
            }
            longest.start();
            return longest.id;
        }
        if (fault instanceof Fault.Partition p) {
            boolean[] side = new boolean[nodes.size()];
            for (String id : p.side()) {
                side[network.indexOf(id)] = true;
            }
            network.partition(side);
            return "";
        }
        if (fault instanceof Fault.IsolateLeader iso) {
            SimNode leader = sim.leader();
            if (leader == null) {
                return null;
            }
            boolean[] side = new boolean[nodes.size()];
            side[leader.index] = true;
            StringBuilder who = new StringBuilder(leader.id);
            for (int k = 1; k <= iso.companions() && k < nodes.size(); k++) {
                SimNode companion = nodes.get((leader.index + k) % nodes.size());
                side[companion.index] = true;
                who.append(',').append(companion.id);
            }
            network.partition(side);
            return who.toString();
        }
        if (fault instanceof Fault.BlockLink b) {
            network.block(network.indexOf(b.from()), network.indexOf(b.to()));
            return "";
        }
        if (fault instanceof Fault.HealNetwork) {
            network.heal();
            return "";
        }
        if (fault instanceof Fault.LinkQuality q) {
            network.setQuality(q.quality());
            return "";
        }
        if (fault instanceof Fault.ChangeMembership c) {
            return changeMembership(c);
        }
        if (fault instanceof Fault.Reconfigure r) {
            return reconfigure(r);
        }
        if (fault instanceof Fault.IsolateLeaderWithNewMajority) {
            return isolateLeaderWithNewMajority();
        }
        if (fault instanceof Fault.TransferLeadership t) {
            SimNode leader = sim.leader();
            if (leader == null) {
                return null;
            }
            try {
                leader.transferLeadership(t.target());
                return leader.id + " hands over to " + (t.target() == null ? "the most caught-up voter" : t.target());
            } catch (ProposalRejectedException e) {
                return rejected(leader, e);
            }
        }
        throw new IllegalArgumentException("unhandled fault " + fault);
    }

    /** The leader proposes the change; a change RaftNode refuses (not applicable, another pending) does nothing. */
    private String changeMembership(Fault.ChangeMembership c) {
        SimNode leader = sim.leader();
        SimNode target = resolve(c.target());
        if (leader == null || target == null) {
            return null;
        }
        MembershipChange change = switch (c.change()) {
            case ADD_LEARNER -> new MembershipChange.AddLearner(target.id, "");
            case PROMOTE -> new MembershipChange.Promote(target.id);
            case REMOVE -> new MembershipChange.Remove(target.id);
        };
        return propose(leader, change);
    }

    private String propose(SimNode leader, MembershipChange change) {
        try {
            Proposal p = leader.changeMembership(change); // the leader may crash right after (an armed crash)
            return leader.id + " proposed it at " + p.index() + "@" + p.term();
        } catch (ProposalRejectedException e) {
            return rejected(leader, e);
        }
    }

    /** The leader proposes the joint change (§6), resolved against its configuration now. */
    private String reconfigure(Fault.Reconfigure r) {
        SimNode leader = sim.leader();
        if (leader == null) {
            return null;
        }
        Configuration current = leader.raft().configuration();
        TreeSet<String> voters = new TreeSet<>(r.voters());
        voters.retainAll(current.allIds());
        if (r.removeLeader()) {
            voters.remove(leader.id);
        }
        TreeSet<String> learners = new TreeSet<>();
        for (Member m : current.members()) {
            if (!m.voter() && !voters.contains(m.id())) {
                learners.add(m.id());
            }
        }
        if (voters.isEmpty()) {
            return null;
        }
        return propose(leader, new MembershipChange.Reconfigure(voters, learners));
    }

    private String isolateLeaderWithNewMajority() {
        SimNode leader = sim.leader();
        if (leader == null || !leader.raft().configuration().isJoint()) {
            return null;
        }
        Configuration oldHalf = leader.raft().configuration().oldConfiguration();
        Configuration newHalf = leader.raft().configuration().newConfiguration();
        // C_new's voters: the leader first (it is on this side anyway), then those C_old lacks, then the rest.
        List<String> voters = new ArrayList<>(newHalf.voterIds());
        voters.sort(java.util.Comparator.comparing((String v) -> !v.equals(leader.id))
                .thenComparing(oldHalf::isVoter));
        TreeSet<String> side = new TreeSet<>(voters.subList(0, newHalf.quorumSize()));
        side.add(leader.id);
        boolean[] cut = new boolean[nodes.size()];
        for (String id : side) {
            cut[network.indexOf(id)] = true;
        }
        network.partition(cut);
        return String.join(",", side);
    }

    private String rejected(SimNode leader, ProposalRejectedException e) {
        if (sim.tracer().on()) {
            sim.tracer().system(sim.now(), "fault", leader.id + " rejected it: " + e.getMessage());
        }
        return null;
    }

    private SimNode resolve(Fault.Target target) {
        if (target instanceof Fault.Target.Leader) {
            return sim.leader();
        }
        return nodes.get(network.indexOf(((Fault.Target.Node) target).id()));
    }
}
