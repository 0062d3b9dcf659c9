package io.raftkv.sim;

import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One fault a schedule injects. A closed family: {@link FaultInjector} handles every case, so adding a fault is a
 * compile error until it is handled (see {@link FaultKind} for how to extend).
 */
public sealed interface Fault {

    FaultKind kind();

    /** Which node a fault hits: a fixed one, or whoever leads when the fault fires (that is what bites Raft). */
    sealed interface Target {
        /** The leader with the highest term among live nodes, if any. */
        record Leader() implements Target {
            @Override
            public String toString() {
                return "leader";
            }
        }

        record Node(String id) implements Target {
            @Override
            public String toString() {
                return id;
            }
        }
    }

    /** Where, relative to the persistence of one Ready (see {@link io.raftkv.core.Ready}), a crash strikes. */
    enum CrashPoint {
        /** Between two inputs: everything the node wrote is synced. */
        CLEAN,
        /** After entries were appended but before the sync: a random prefix of the unsynced writes survives. */
        BEFORE_SYNC,
        /** After the sync but before the messages that acknowledge it were sent. */
        BEFORE_SEND
    }

    record Crash(Target target, CrashPoint point) implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.CRASH;
        }

        @Override
        public String toString() {
            return "crash " + target + (point == CrashPoint.CLEAN ? "" : " " + point.name().toLowerCase().replace('_', '-'));
        }
    }

    /**
     * Arms {@code then} to fire {@code delay} time units after the next leader is elected — aimed at the moment a
     * new leader is still bringing followers up to date with entries of earlier terms (Figure 8, §5.4.2). With a
     * {@link Target.Leader} target, {@code then} hits that new leader if it still leads.
     */
    record AfterNextElection(long delay, Fault then) implements Fault {
        @Override
        public FaultKind kind() {
            return then.kind();
        }

        @Override
        public String toString() {
            return "after next election +" + Tracer.formatTime(delay) + ": " + then;
        }
    }

    /**
     * Arms {@code then} to fire {@code delay} time units after a leader's commit index next advances — the moment
     * it may acknowledge its first writes to clients.
     */
    record AfterNextCommit(long delay, Fault then) implements Fault {
        @Override
        public FaultKind kind() {
            return then.kind();
        }

        @Override
        public String toString() {
            return "after next commit +" + Tracer.formatTime(delay) + ": " + then;
        }
    }

    /** Several faults applied at once, in order (used to chain {@link AfterNextElection} triggers). */
    record Steps(java.util.List<Fault> steps) implements Fault {
        public Steps {
            steps = java.util.List.copyOf(steps);
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("no steps");
            }
        }

        @Override
        public FaultKind kind() {
            return steps.get(0).kind();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("{");
            for (Fault f : steps) {
                sb.append(sb.length() == 1 ? "" : "; ").append(f);
            }
            return sb.append('}').toString();
        }
    }

    record Restart() implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.RESTART;
        }

        @Override
        public String toString() {
            return "restart longest-down";
        }
    }

    /** Nodes in {@code side} can talk among themselves, the rest among themselves, but not across. */
    record Partition(SortedSet<String> side) implements Fault {
        public Partition {
            side = new TreeSet<>(side);
        }

        public static Partition of(Set<String> side) {
            return new Partition(new TreeSet<>(side));
        }

        @Override
        public FaultKind kind() {
            return FaultKind.PARTITION;
        }

        @Override
        public String toString() {
            return "partition " + side + " | rest";
        }
    }

    /**
     * Cuts the current leader off together with {@code companions} other nodes (the next ones in id order): with
     * companions the leader keeps replicating to a minority — entries that reach some logs but can never commit.
     */
    record IsolateLeader(int companions) implements Fault {
        public IsolateLeader() {
            this(0);
        }

        @Override
        public FaultKind kind() {
            return FaultKind.ISOLATE_LEADER;
        }

        @Override
        public String toString() {
            return companions == 0 ? "isolate leader" : "isolate leader with " + companions + " follower(s)";
        }
    }

    record BlockLink(String from, String to) implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.BLOCK_LINK;
        }

        @Override
        public String toString() {
            return "block " + from + "->" + to;
        }
    }

    record HealNetwork() implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.HEAL_NETWORK;
        }

        @Override
        public String toString() {
            return "heal network";
        }
    }

    record LinkQuality(NetworkQuality quality) implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.LINK_QUALITY;
        }

        @Override
        public String toString() {
            return "link quality " + quality;
        }
    }

    /** Which single-server change (thesis §4.1) a {@link ChangeMembership} asks for. */
    enum Change {
        /** Add a server that is not a member as a learner (it then catches up and may be auto-promoted). */
        ADD_LEARNER,
        /** Turn a learner into a voter. */
        PROMOTE,
        /** Remove a member (voter or learner; the leader itself included, thesis §4.2.2). */
        REMOVE
    }

    /**
     * The current leader proposes a membership change about {@code target}. A change that does not apply (the
     * node is already a member, another change is pending, …) is rejected by RaftNode and has no effect.
     */
    record ChangeMembership(Change change, Target target) implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.MEMBERSHIP;
        }

        @Override
        public String toString() {
            return change.name().toLowerCase().replace('_', '-') + " " + target;
        }
    }

    /**
     * The current leader moves the cluster by joint consensus (§6) to the servers of {@code voters} that are members
     * when it fires — without the leader itself if {@code removeLeader} — keeping its learners learners and removing
     * its other voters. A change RaftNode refuses (another pending, a learner not caught up, nothing to change, no
     * voter left) does nothing.
     */
    record Reconfigure(SortedSet<String> voters, boolean removeLeader) implements Fault {
        public Reconfigure {
            voters = new TreeSet<>(voters);
        }

        @Override
        public FaultKind kind() {
            return FaultKind.MEMBERSHIP;
        }

        @Override
        public String toString() {
            return "reconfigure to voters " + voters + (removeLeader ? " without the leader" : "");
        }
    }

    /**
     * Cuts the current leader off together with a majority of its joint configuration's C_new, picked to hold as few
     * of C_old's voters as possible: the other side may then hold a majority of C_old that never hears of C_old,new
     * — the split where only §6's "majorities of both" keeps the two sides from committing and electing
     * independently. No effect unless the leader's configuration is joint.
     */
    record IsolateLeaderWithNewMajority() implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.ISOLATE_LEADER;
        }

        @Override
        public String toString() {
            return "isolate leader with a majority of its C_new";
        }
    }

    /** The current leader hands leadership to {@code target}, or to the most caught-up voter if null (§3.10). */
    record TransferLeadership(String target) implements Fault {
        @Override
        public FaultKind kind() {
            return FaultKind.TRANSFER_LEADERSHIP;
        }

        @Override
        public String toString() {
            return "transfer leadership to " + (target == null ? "any voter" : target);
        }
    }
}
